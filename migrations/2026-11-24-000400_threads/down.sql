DROP TRIGGER threads_tag_counts ON threads;
DROP FUNCTION devforum_threads_tag_counts();
DROP TABLE tags;
DROP TABLE reply_votes;
DROP TABLE thread_votes;
DROP TABLE replies;
DROP TABLE threads;

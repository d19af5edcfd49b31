DROP TABLE drafts;
DROP TABLE reading_marks;
DROP TABLE thread_reads;

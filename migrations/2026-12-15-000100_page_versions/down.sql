DROP TRIGGER thread_solutions_page_changed ON thread_solutions;
DROP TRIGGER replies_page_changed ON replies;
DROP TRIGGER threads_page_changed ON threads;
DROP FUNCTION devforum_thread_page_changed();
ALTER TABLE thread_activity DROP COLUMN changed_at;

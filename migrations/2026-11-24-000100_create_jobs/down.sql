DROP TRIGGER jobs_notify_insert ON jobs;
DROP FUNCTION devforum_notify_jobs();
DROP TABLE jobs;

DROP TRIGGER moderation_log_no_truncate ON moderation_log;
DROP TRIGGER moderation_log_no_update_or_delete ON moderation_log;
DROP FUNCTION devforum_moderation_log_append_only();
DROP TABLE moderation_log;
DROP TABLE reports;
ALTER TABLE meetups DROP COLUMN hidden;

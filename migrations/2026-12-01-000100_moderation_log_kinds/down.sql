ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_target_type_check,
    DROP CONSTRAINT moderation_log_action_check;

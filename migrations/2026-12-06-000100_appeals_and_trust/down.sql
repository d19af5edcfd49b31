DROP TABLE member_content_action_items;
DROP TABLE member_content_actions;
DROP TABLE report_claims;
DROP TABLE appeals;
DROP INDEX moderation_log_target_idx;
ALTER TABLE moderation_log
    DROP CONSTRAINT moderation_log_target_type_check,
    ADD CONSTRAINT moderation_log_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'meetup', 'user', 'report'
    )),
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role', 'delete_account'
    ));
ALTER TABLE reports DROP COLUMN reporter_trust_level;
ALTER TABLE users
    DROP COLUMN last_moderated_at,
    DROP COLUMN trust_level_pinned,
    DROP COLUMN trust_level;

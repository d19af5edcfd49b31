-- The log's action and target type are the code's LogAction and LogTargetType
-- (src/moderation/domain.rs); the database refuses anything else.
ALTER TABLE moderation_log
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role'
    )),
    ADD CONSTRAINT moderation_log_target_type_check CHECK (target_type IN (
        'thread', 'reply', 'meetup', 'user', 'report'
    ));

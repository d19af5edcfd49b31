DROP TRIGGER notifications_signal ON notifications;
DROP FUNCTION notifications_signal();
DROP TRIGGER user_blocks_notifications ON user_blocks;
DROP FUNCTION notifications_follow_blocks();
DROP INDEX notifications_actor;
CREATE OR REPLACE FUNCTION notifications_follow_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'replies' THEN
        UPDATE notifications n
           SET hidden = notification_subject_gone(n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.reply_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'threads' THEN
        UPDATE notifications n
           SET hidden = notification_subject_gone(n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.thread_id = NEW.id;
    ELSE
        UPDATE notifications n
           SET hidden = notification_subject_gone(n.reply_id, n.thread_id, n.meetup_id)
         WHERE n.meetup_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
DROP FUNCTION notification_hidden(BIGINT, TEXT, BIGINT, BIGINT, BIGINT, BIGINT);
DROP TABLE tag_subscriptions;
DROP TABLE user_blocks;

-- Each member's unread count, kept by statement-level triggers from the same filter the inbox
-- uses (`read_at IS NULL AND NOT hidden`), so the unread badge reads one row instead of
-- counting the member's unread notifications on every request. Every change of a
-- notification's `read_at` or `hidden` (a fan-out, a regrouping, reading, a hidden subject, a
-- block) goes through these triggers in the same transaction, so the counter and the list
-- cannot disagree. Counter rows are written in `user_id` order, so two statements that touch
-- the same members (two fan-outs at once) wait for each other instead of deadlocking. (No
-- CHECK (unread >= 0): an upsert checks its proposed row, which carries a negative change.)
CREATE TABLE notification_counters (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    unread INTEGER NOT NULL DEFAULT 0
);

INSERT INTO notification_counters (user_id, unread)
SELECT user_id, count(*) FROM notifications WHERE read_at IS NULL AND NOT hidden
GROUP BY user_id;

CREATE FUNCTION notification_counters_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_counters AS c (user_id, unread)
    SELECT user_id, count(*) FROM inserted WHERE read_at IS NULL AND NOT hidden
    GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET unread = c.unread + excluded.unread;
    RETURN NULL;
END
$$;
CREATE TRIGGER notification_counters_insert AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notification_counters_insert();

CREATE FUNCTION notification_counters_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_counters AS c (user_id, unread)
    SELECT user_id, sum(delta) FROM (
        SELECT user_id, 1 AS delta FROM after_rows WHERE read_at IS NULL AND NOT hidden
        UNION ALL
        SELECT user_id, -1 FROM before_rows WHERE read_at IS NULL AND NOT hidden
    ) changes
    GROUP BY user_id HAVING sum(delta) <> 0 ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET unread = c.unread + excluded.unread;
    RETURN NULL;
END
$$;
CREATE TRIGGER notification_counters_update AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notification_counters_update();

-- Only existing counters go down: a member being deleted takes theirs with them.
CREATE FUNCTION notification_counters_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM notification_counters
    WHERE user_id IN (SELECT user_id FROM deleted) ORDER BY user_id FOR UPDATE;
    UPDATE notification_counters c SET unread = c.unread - gone.unread
    FROM (SELECT user_id, count(*) AS unread FROM deleted WHERE read_at IS NULL AND NOT hidden
          GROUP BY user_id) gone
    WHERE c.user_id = gone.user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER notification_counters_delete AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION notification_counters_delete();

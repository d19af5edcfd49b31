-- Account erasure (API.md "Members own their accounts"): a deleted account's row stays, as a
-- tombstone the content it wrote still points at, with every personal field erased.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMPTZ;

-- The usernames of deleted accounts stay reserved for a while (`accounts.username_reserved_days`).
-- Only a SHA-256 of the lower-cased name is kept: a reservation names nobody.
CREATE TABLE reserved_usernames (
    username_hash  TEXT        PRIMARY KEY CHECK (username_hash ~ '^[0-9a-f]{64}$'),
    reserved_until TIMESTAMPTZ NOT NULL
);

-- The log keeps every action on or by a deleted account, with the account's id replaced by
-- the stable anonymous reference its tombstone carries (its new username).
ALTER TABLE moderation_log
    ADD COLUMN actor_ref  TEXT CHECK (actor_ref ~ '^deleted-[0-9a-f]{12}$'),
    ADD COLUMN target_ref TEXT CHECK (target_ref ~ '^deleted-[0-9a-f]{12}$'),
    DROP CONSTRAINT moderation_log_action_check,
    ADD CONSTRAINT moderation_log_action_check CHECK (action IN (
        'hide', 'auto_hide', 'restore', 'lock', 'unlock', 'pin', 'unpin',
        'resolve_report', 'dismiss_report', 'suspend', 'unsuspend', 'set_role', 'delete_account'
    ));

-- Still append-only, whoever connects, with one exception: inside a transaction that has set
-- `devforum.erasing` (SET LOCAL, the erasure's own), a row may have a deleted account's id
-- replaced by its reference and that account's names taken out of its reason. Nothing else
-- about a row can change, and no row can be removed.
CREATE OR REPLACE FUNCTION devforum_moderation_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('devforum.erasing', true) = 'on'
       AND NEW.id = OLD.id
       AND NEW.action = OLD.action
       AND NEW.target_type = OLD.target_type
       AND NEW.created_at = OLD.created_at
       AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
            OR (NEW.actor_id IS NULL AND NEW.actor_ref IS NOT NULL))
       AND (NEW.target_id = OLD.target_id
            OR (OLD.target_type = 'user' AND NEW.target_id = 0 AND NEW.target_ref IS NOT NULL))
       AND (OLD.actor_ref IS NULL OR NEW.actor_ref = OLD.actor_ref)
       AND (OLD.target_ref IS NULL OR NEW.target_ref = OLD.target_ref)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'moderation_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

-- A deleted mentor's profile is erased; the requests made to them stay, pointing at the
-- account (a mentor's profile and account share the id).
ALTER TABLE mentorship_requests
    DROP CONSTRAINT mentorship_requests_mentor_id_fkey,
    ADD CONSTRAINT mentorship_requests_mentor_id_fkey
        FOREIGN KEY (mentor_id) REFERENCES users (id);

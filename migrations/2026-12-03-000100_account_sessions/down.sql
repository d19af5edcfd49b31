DELETE FROM user_tokens WHERE purpose IN ('change_email', 'undo_email_change');
ALTER TABLE user_tokens
    DROP CONSTRAINT user_tokens_email_for_purpose,
    DROP CONSTRAINT user_tokens_purpose_check,
    ADD CONSTRAINT user_tokens_purpose_check CHECK (purpose IN ('verify_email', 'password_reset')),
    DROP COLUMN email;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_family_id_fkey;
DROP TABLE sessions;

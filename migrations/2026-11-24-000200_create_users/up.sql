-- Accounts. Usernames are unique regardless of case; emails are stored normalised
-- (trimmed, domain lower-cased) and unique regardless of case.
CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    username       TEXT        NOT NULL CHECK (username ~ '^[A-Za-z0-9_-]{3,32}$'),
    email          TEXT        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash  TEXT        NOT NULL,
    role           TEXT        NOT NULL DEFAULT 'member'
                               CHECK (role IN ('member', 'moderator', 'admin')),
    email_verified BOOLEAN     NOT NULL DEFAULT false,
    display_name   TEXT        CHECK (length(display_name) <= 64),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

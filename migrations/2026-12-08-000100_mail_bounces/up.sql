-- Bounces: mail to a member's address that came back. A hard bounce (5.x.x) makes the address
-- undeliverable at once; soft bounces (4.x.x) do when enough arrive within a window. While
-- `email_undeliverable_at` is set, notification mail and digests stop (account mail is still
-- tried); a new address, or verifying this one again, clears it.
ALTER TABLE users ADD COLUMN email_undeliverable_at timestamptz;

CREATE TABLE mail_bounces (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address the bounced message was sent to (a bounce for an address the member has
    -- since changed is not recorded at all).
    address text NOT NULL,
    -- The DSN's status code (RFC 3464), e.g. 5.1.1 or 4.2.2.
    status text NOT NULL CHECK (status ~ '^[245]\.[0-9]{1,3}\.[0-9]{1,3}$'),
    hard boolean NOT NULL,
    -- The bounce message's own Message-ID: a bounce read twice (a poll interrupted after
    -- recording it) counts once.
    report_id text NOT NULL UNIQUE,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX mail_bounces_user_received ON mail_bounces (user_id, received_at);

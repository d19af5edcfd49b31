-- A member's personal calendar feed: one secret URL per member (rotating replaces it), whose
-- token is stored only as a SHA-256 hash.
CREATE TABLE calendar_feeds (
    user_id    BIGINT      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT        NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

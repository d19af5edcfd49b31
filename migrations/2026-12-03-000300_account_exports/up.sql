-- Archives of a member's data (POST /users/me/export), built by a job and kept in the database
-- in chunks, so building and downloading one never holds it all in memory and every serve
-- process can hand it out. A download link works once, for 7 days.
CREATE TABLE account_exports (
    id            BIGSERIAL   PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the emailed token: the token itself is never stored.
    token_hash    TEXT        NOT NULL UNIQUE,
    size_bytes    BIGINT      NOT NULL CHECK (size_bytes >= 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    downloaded_at TIMESTAMPTZ
);
CREATE INDEX account_exports_user_idx ON account_exports (user_id);

CREATE TABLE account_export_chunks (
    export_id BIGINT  NOT NULL REFERENCES account_exports (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    data      BYTEA   NOT NULL,
    PRIMARY KEY (export_id, seq)
);

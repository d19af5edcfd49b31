-- Uploads (API.md "Uploads"): a member's file, stored once per content (its SHA-256), used by
-- posts (found in their Markdown when saved or edited) and avatars.

-- One stored object per distinct content. The periodic sweep removes an object once no
-- upload names its hash; `last_put_at` (set before each store) keeps the sweep away from an
-- object an upload is storing right now.
CREATE TABLE upload_objects (
    sha256 TEXT PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size BIGINT NOT NULL CHECK (size >= 0),
    last_put_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE uploads (
    id BIGSERIAL PRIMARY KEY,
    -- NULL once the uploader's account is erased and the upload stays (a post still shows it).
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('post', 'avatar')),
    sha256 TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- The stored file's extension and type, read from its bytes.
    extension TEXT NOT NULL CHECK (extension ~ '^[a-z0-9]{1,8}$'),
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size >= 0),
    width INTEGER,
    height INTEGER,
    -- The thumbnails' extension; NULL for files that have none.
    thumbnail_extension TEXT CHECK (thumbnail_extension ~ '^[a-z0-9]{1,8}$'),
    original_name TEXT NOT NULL DEFAULT '' CHECK (char_length(original_name) <= 255),
    -- The member whose picture this is (one upload per member at most).
    avatar_of BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX uploads_sha256 ON uploads (sha256);
CREATE INDEX uploads_user_created ON uploads (user_id, created_at);
CREATE INDEX uploads_created ON uploads (created_at);
CREATE UNIQUE INDEX uploads_avatar_of ON uploads (avatar_of) WHERE avatar_of IS NOT NULL;

-- Which post shows which upload: a thread's opening post or a reply.
CREATE TABLE upload_uses (
    id BIGSERIAL PRIMARY KEY,
    upload_id BIGINT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    thread_id BIGINT REFERENCES threads (id) ON DELETE CASCADE,
    reply_id BIGINT REFERENCES replies (id) ON DELETE CASCADE,
    CHECK ((thread_id IS NULL) <> (reply_id IS NULL))
);
CREATE UNIQUE INDEX upload_uses_thread ON upload_uses (thread_id, upload_id) WHERE thread_id IS NOT NULL;
CREATE UNIQUE INDEX upload_uses_reply ON upload_uses (reply_id, upload_id) WHERE reply_id IS NOT NULL;
CREATE INDEX upload_uses_upload ON upload_uses (upload_id);

-- The URL of the member's picture, which every member summary shows: kept on the member's
-- row so a listing reads it with the name, without a join.
ALTER TABLE users ADD COLUMN avatar_url TEXT;

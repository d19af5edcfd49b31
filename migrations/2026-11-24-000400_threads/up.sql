-- The forum: threads, replies, votes, and tags with live counts.
CREATE TABLE threads (
    id               BIGSERIAL PRIMARY KEY,
    author_id        BIGINT      NOT NULL REFERENCES users (id),
    title            TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body             TEXT        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 50000),
    -- Rendered and sanitised once, at write time.
    body_html        TEXT        NOT NULL,
    excerpt          TEXT        NOT NULL DEFAULT '',
    tags             TEXT[]      NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 5),
    reply_count      INTEGER     NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    score            INTEGER     NOT NULL DEFAULT 0,
    pinned           BOOLEAN     NOT NULL DEFAULT false,
    locked           BOOLEAN     NOT NULL DEFAULT false,
    hidden           BOOLEAN     NOT NULL DEFAULT false,
    deleted_at       TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One index per listing order, over visible threads only, matching the keyset predicates.
CREATE INDEX threads_latest_idx ON threads (pinned DESC, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
CREATE INDEX threads_active_idx ON threads (pinned DESC, last_activity_at DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
CREATE INDEX threads_top_idx ON threads (score DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
CREATE INDEX threads_author_idx ON threads (author_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND NOT hidden;
CREATE INDEX threads_tags_idx ON threads USING GIN (tags)
    WHERE deleted_at IS NULL AND NOT hidden;

CREATE TABLE replies (
    id          BIGSERIAL PRIMARY KEY,
    thread_id   BIGINT      NOT NULL REFERENCES threads (id),
    author_id   BIGINT      NOT NULL REFERENCES users (id),
    body        TEXT        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 50000),
    body_html   TEXT        NOT NULL,
    score       INTEGER     NOT NULL DEFAULT 0,
    hidden      BOOLEAN     NOT NULL DEFAULT false,
    deleted_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX replies_thread_idx ON replies (thread_id, created_at, id)
    WHERE deleted_at IS NULL AND NOT hidden;
CREATE INDEX replies_author_idx ON replies (author_id, created_at);

CREATE TABLE thread_votes (
    thread_id  BIGINT      NOT NULL REFERENCES threads (id),
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    value      SMALLINT    NOT NULL CHECK (value IN (-1, 1)),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (thread_id, user_id)
);

CREATE TABLE reply_votes (
    reply_id   BIGINT      NOT NULL REFERENCES replies (id),
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    value      SMALLINT    NOT NULL CHECK (value IN (-1, 1)),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (reply_id, user_id)
);

-- Live tag counts over visible threads, kept by a trigger so no write path can forget them.
CREATE TABLE tags (
    name         TEXT    PRIMARY KEY,
    thread_count INTEGER NOT NULL DEFAULT 0 CHECK (thread_count >= 0)
);

CREATE FUNCTION devforum_threads_tag_counts() RETURNS trigger AS $$
DECLARE
    old_tags TEXT[] := '{}';
    new_tags TEXT[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL AND NOT OLD.hidden THEN
        old_tags := OLD.tags;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL AND NOT NEW.hidden THEN
        new_tags := NEW.tags;
    END IF;
    IF old_tags = new_tags THEN
        RETURN NULL;
    END IF;
    -- Sorted, so concurrent writers lock tag rows in the same order and cannot deadlock.
    INSERT INTO tags (name, thread_count)
        SELECT t, 1 FROM unnest(new_tags) AS t WHERE NOT t = ANY (old_tags) ORDER BY t
        ON CONFLICT (name) DO UPDATE SET thread_count = tags.thread_count + 1;
    UPDATE tags SET thread_count = thread_count - 1
        WHERE name IN (SELECT t FROM unnest(old_tags) AS t WHERE NOT t = ANY (new_tags) ORDER BY t);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER threads_tag_counts
    AFTER INSERT OR UPDATE OF tags, hidden, deleted_at OR DELETE ON threads
    FOR EACH ROW EXECUTE FUNCTION devforum_threads_tag_counts();

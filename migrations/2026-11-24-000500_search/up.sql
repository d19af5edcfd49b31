-- Search on PostgreSQL: one row per searchable thing (thread, reply, meetup, mentor), written
-- by the search worker from the source tables, which stay the source of truth. Meilisearch
-- deployments leave this table empty and keep the same documents in their index instead.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- array_to_string is only STABLE (it could format any element type); for text[] it is
-- immutable, which a generated column needs.
CREATE FUNCTION search_words_of(tags TEXT[]) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN array_to_string(tags, ' ');

CREATE TABLE search_documents (
    kind       TEXT        NOT NULL CHECK (kind IN ('thread', 'reply', 'meetup', 'mentor')),
    source_id  BIGINT      NOT NULL,
    -- The thread a reply belongs to: hiding or deleting a thread removes its replies too.
    parent_id  BIGINT,
    title      TEXT        NOT NULL,
    -- Plain text (Markdown stripped), bounded; snippets are cut from it.
    body       TEXT        NOT NULL,
    tags       TEXT[]      NOT NULL DEFAULT '{}',
    -- Author or owner username.
    username   TEXT,
    -- Fields of one kind only (a meetup's city and start, a mentor's skills...).
    fields     JSONB       NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Title above tags above body. A reply shows its thread's title but is not found by it:
    -- the thread itself is. A break word between the parts, deleted again, leaves a gap in
    -- the positions, so a phrase never matches across the end of the title into the body.
    document   TSVECTOR    NOT NULL GENERATED ALWAYS AS (
        ts_delete(
            setweight(to_tsvector('english', CASE WHEN kind = 'reply' THEN '' ELSE title END), 'A')
            || to_tsvector('simple', 'devforumfieldbreak')
            || setweight(to_tsvector('english', coalesce(search_words_of(tags), '')), 'B')
            || to_tsvector('simple', 'devforumfieldbreak')
            || setweight(to_tsvector('english', body), 'C'),
            'devforumfieldbreak')
    ) STORED,
    PRIMARY KEY (kind, source_id)
);

CREATE INDEX search_documents_document_idx ON search_documents USING GIN (document);
-- Candidates are taken newest first, and an empty query lists recent content.
CREATE INDEX search_documents_recent_idx ON search_documents (created_at DESC, kind, source_id);
CREATE INDEX search_documents_kind_recent_idx ON search_documents (kind, created_at DESC, source_id);
CREATE INDEX search_documents_tags_idx ON search_documents USING GIN (tags);
CREATE INDEX search_documents_parent_idx ON search_documents (parent_id)
    WHERE parent_id IS NOT NULL;

-- Every lexeme in the index, for correcting typos in a query (trigram similarity).
CREATE TABLE search_lexemes (
    lexeme TEXT PRIMARY KEY
);
CREATE INDEX search_lexemes_trigram_idx ON search_lexemes USING GIN (lexeme gin_trgm_ops);

-- A Meilisearch index being rebuilt by `devforum reindex`: the search worker writes every
-- change to it as well, so nothing made during the rebuild is missing after the swap.
CREATE TABLE search_rebuilds (
    index_uid  TEXT        PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

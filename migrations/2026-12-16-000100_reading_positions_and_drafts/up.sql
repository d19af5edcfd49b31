-- Where each member left off in each thread they opened: one narrow row per member and thread,
-- keyed so a member's rows for a page of threads are one index probe each.
CREATE TABLE thread_reads (
    user_id            BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id          BIGINT      NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    -- The last reply read; NULL when only the question was.
    last_read_reply_id BIGINT,
    -- How many of the replies readers see were at or before that reply when it was written:
    -- the thread's reply count minus this is what is unread, with no count at read time.
    read_replies       INTEGER     NOT NULL DEFAULT 0 CHECK (read_replies >= 0),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, thread_id)
);
CREATE INDEX thread_reads_thread ON thread_reads (thread_id);

-- "New" is what was started since the member's previous visit (or since they last marked
-- everything read) and never opened. A row of its own, not columns of the wide `users` row.
CREATE TABLE reading_marks (
    user_id           BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    previous_visit_at TIMESTAMPTZ,
    all_read_at       TIMESTAMPTZ
);

-- What a member is writing, kept on the server so it survives a closed tab and follows them
-- to another device.
CREATE TABLE drafts (
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT        NOT NULL CHECK (key ~ '^(new-thread|reply-[1-9][0-9]{0,18})$'),
    title      TEXT,
    body       TEXT        NOT NULL,
    tags       TEXT[]      NOT NULL DEFAULT '{}' CHECK (array_position(tags, NULL) IS NULL),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

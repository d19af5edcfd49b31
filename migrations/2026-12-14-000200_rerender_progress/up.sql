-- Where `devforum rerender` got to, per kind of rendered text, so an interrupted run resumes
-- instead of starting again. A run for a newer renderer (`render_version`) starts over.
CREATE TABLE rerender_progress (
    kind           TEXT        PRIMARY KEY,
    render_version INTEGER     NOT NULL,
    last_id        BIGINT      NOT NULL,
    rewritten      BIGINT      NOT NULL DEFAULT 0,
    finished_at    TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

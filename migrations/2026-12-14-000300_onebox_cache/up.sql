-- Preview cards, cached per URL: the card a page gave (`card`), or why it gave none
-- (`failure`), and when it was fetched (fetched again at most once per `onebox.refresh_secs`).
CREATE TABLE onebox_cache (
    url        TEXT        PRIMARY KEY CHECK (length(url) <= 2048),
    card       JSONB,
    failure    TEXT,
    fetched_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((card IS NULL) <> (failure IS NULL))
);
CREATE INDEX onebox_cache_fetched_at ON onebox_cache (fetched_at);

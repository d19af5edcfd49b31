-- Rate limits every API process shares (issue 21): one GCRA bucket per limit and key.
-- `tat` is the bucket's "theoretical arrival time": a request is allowed while
-- tat + emission interval <= now + period. UNLOGGED: losing the buckets in a crash only resets
-- the limits, and writing them costs no WAL (they are not replicated either, nor need to be).
CREATE UNLOGGED TABLE rate_limit_buckets (
    key text PRIMARY KEY,
    tat timestamptz NOT NULL
);

-- Read-your-writes with a read replica: the primary's WAL position just after a member's
-- last write. A member's reads go to the replica only once it has replayed this far.
CREATE UNLOGGED TABLE recent_writes (
    user_id bigint PRIMARY KEY,
    -- pg_current_wal_lsn() - '0/0', as a number.
    lsn bigint NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);

-- Mentorship requests keep themselves: a pending request expires after a while (a new state,
-- `expired`: the pair may ask again), and its mentor is reminded of it once before.
ALTER TABLE mentorship_requests
    DROP CONSTRAINT mentorship_requests_status_check,
    ADD CONSTRAINT mentorship_requests_status_check
        CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn', 'completed', 'expired')),
    ADD COLUMN reminded_at TIMESTAMPTZ;
-- The periodic sweep reads pending requests oldest first.
CREATE INDEX mentorship_requests_pending_idx ON mentorship_requests (created_at, id)
    WHERE status = 'pending';

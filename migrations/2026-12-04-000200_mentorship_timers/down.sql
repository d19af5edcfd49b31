-- An expired request was a pending one that nobody answered: it goes back to declined rather
-- than be lost (pending again could collide with a newer open request of the pair).
UPDATE mentorship_requests SET status = 'declined' WHERE status = 'expired';
DROP INDEX mentorship_requests_pending_idx;
ALTER TABLE mentorship_requests
    DROP COLUMN reminded_at,
    DROP CONSTRAINT mentorship_requests_status_check,
    ADD CONSTRAINT mentorship_requests_status_check
        CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn', 'completed'));

ALTER TABLE mentorship_requests
    DROP COLUMN mentee_done_at,
    DROP COLUMN mentor_done_at,
    DROP COLUMN check_in_sent_at;

-- An accepted mentorship is asked, once, after a while, whether it is still going: each side
-- answers from a signed link in the mail (no sign-in); when both say it is done, it completes.
ALTER TABLE mentorship_requests
    ADD COLUMN check_in_sent_at TIMESTAMPTZ,
    ADD COLUMN mentor_done_at   TIMESTAMPTZ,
    ADD COLUMN mentee_done_at   TIMESTAMPTZ;

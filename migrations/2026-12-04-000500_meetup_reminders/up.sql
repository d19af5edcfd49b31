-- Members going to a meetup are reminded before it starts, once per start time: the start a
-- reminder was sent for is kept, so a moved meetup is reminded of again and nothing twice.
ALTER TABLE meetup_rsvps ADD COLUMN reminded_for TIMESTAMPTZ;
CREATE INDEX meetups_scheduled_start_idx ON meetups (starts_at) WHERE status = 'scheduled' AND NOT hidden;

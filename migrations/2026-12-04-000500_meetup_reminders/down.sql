DROP INDEX meetups_scheduled_start_idx;
ALTER TABLE meetup_rsvps DROP COLUMN reminded_for;

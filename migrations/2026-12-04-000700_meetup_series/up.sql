-- Recurring meetups: a series holds the rule (meetups::recurrence::Rule, as JSON); each
-- occurrence is a meetup of its own (RSVPs, capacity, waitlist) carrying its series and its
-- place in it. Occurrences are made a few ahead; `ended_at` stops a series making more.
CREATE TABLE meetup_series (
    id            BIGSERIAL   PRIMARY KEY,
    organizer_id  BIGINT      NOT NULL REFERENCES users (id),
    rule          JSONB       NOT NULL,
    -- Each occurrence lasts as long as the first.
    duration_secs BIGINT      NOT NULL CHECK (duration_secs > 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at      TIMESTAMPTZ
);

ALTER TABLE meetups
    ADD COLUMN series_id  BIGINT  REFERENCES meetup_series (id),
    ADD COLUMN occurrence INTEGER CHECK (occurrence >= 0),
    ADD CONSTRAINT meetups_occurrence_with_series CHECK ((series_id IS NULL) = (occurrence IS NULL));
-- One meetup per place in a series: two workers extending a series at once make it once.
CREATE UNIQUE INDEX meetups_series_occurrence_key ON meetups (series_id, occurrence)
    WHERE series_id IS NOT NULL;

-- Meetups and their RSVPs. Seats are counted by a trigger and the count is bounded by a
-- CHECK, so no write path can overbook; the service serialises RSVPs on the meetup's row lock.
CREATE TABLE meetups (
    id               BIGSERIAL   PRIMARY KEY,
    organizer_id     BIGINT      NOT NULL REFERENCES users (id),
    title            TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description      TEXT        NOT NULL CHECK (char_length(description) BETWEEN 1 AND 20000),
    description_html TEXT        NOT NULL,
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ NOT NULL,
    -- The IANA zone the meetup is held in: calendars show its local times.
    timezone         TEXT        NOT NULL,
    venue_name       TEXT,
    venue_address    TEXT,
    venue_city       TEXT,
    -- ISO 3166-1 alpha-2.
    venue_country    TEXT        CHECK (venue_country ~ '^[A-Z]{2}$'),
    online_url       TEXT        CHECK (online_url ~* '^https?://'),
    -- NULL: no limit.
    capacity         INTEGER     CHECK (capacity BETWEEN 1 AND 10000),
    tags             TEXT[]      NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 5),
    going_count      INTEGER     NOT NULL DEFAULT 0 CHECK (going_count >= 0),
    waitlist_count   INTEGER     NOT NULL DEFAULT 0 CHECK (waitlist_count >= 0),
    status           TEXT        NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    -- iCalendar SEQUENCE: bumped on every change a calendar should pick up.
    sequence         INTEGER     NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at     TIMESTAMPTZ,
    CONSTRAINT meetups_ends_after_start CHECK (ends_at > starts_at AND ends_at <= starts_at + interval '7 days'),
    CONSTRAINT meetups_venue_whole CHECK (
        (venue_name IS NULL) = (venue_address IS NULL)
        AND (venue_name IS NULL) = (venue_city IS NULL)
        AND (venue_name IS NULL) = (venue_country IS NULL)),
    CONSTRAINT meetups_somewhere CHECK (venue_name IS NOT NULL OR online_url IS NOT NULL),
    CONSTRAINT meetups_never_overbooked CHECK (capacity IS NULL OR going_count <= capacity)
);
-- Listings walk (starts_at, id); the upcoming feed only scheduled ones.
CREATE INDEX meetups_starts_idx ON meetups (starts_at, id);
CREATE INDEX meetups_scheduled_starts_idx ON meetups (starts_at, id) WHERE status = 'scheduled';
CREATE INDEX meetups_city_idx ON meetups (lower(venue_city), starts_at, id) WHERE venue_city IS NOT NULL;
CREATE INDEX meetups_tags_idx ON meetups USING GIN (tags);
CREATE INDEX meetups_organizer_idx ON meetups (organizer_id);

CREATE TABLE meetup_rsvps (
    -- Arrival order: the waitlist is served in this order.
    id         BIGSERIAL   PRIMARY KEY,
    meetup_id  BIGINT      NOT NULL REFERENCES meetups (id),
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    status     TEXT        NOT NULL CHECK (status IN ('going', 'waitlisted')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT meetup_rsvps_one_per_member UNIQUE (meetup_id, user_id)
);
CREATE INDEX meetup_rsvps_order_idx ON meetup_rsvps (meetup_id, status, id);
CREATE INDEX meetup_rsvps_user_idx ON meetup_rsvps (user_id);

CREATE FUNCTION devforum_meetup_rsvp_counts() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE meetups SET
            going_count = going_count - (OLD.status = 'going')::int,
            waitlist_count = waitlist_count - (OLD.status = 'waitlisted')::int
        WHERE id = OLD.meetup_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE meetups SET
            going_count = going_count + (NEW.status = 'going')::int,
            waitlist_count = waitlist_count + (NEW.status = 'waitlisted')::int
        WHERE id = NEW.meetup_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER meetup_rsvps_counts
    AFTER INSERT OR UPDATE OF status OR DELETE ON meetup_rsvps
    FOR EACH ROW EXECUTE FUNCTION devforum_meetup_rsvp_counts();

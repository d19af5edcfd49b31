-- Community health (issue 46): the days members were seen, and daily rollups of the
-- dashboard's series so that reading it never scans posts.

-- A member seen on a day (UTC): written with `users.last_seen_at` (at most once per
-- `activity` period per member and process, one row per day). Kept as the source of
-- "active members" for any day, week or month; erased with the account.
CREATE TABLE member_days (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    PRIMARY KEY (user_id, day)
);
CREATE INDEX member_days_day_idx ON member_days (day);

-- Before this table, the days a member posted (and the day they were last seen) are the
-- days they are known to have been here.
INSERT INTO member_days (user_id, day)
SELECT author_id, (created_at AT TIME ZONE 'UTC')::date FROM threads
UNION
SELECT author_id, (created_at AT TIME ZONE 'UTC')::date FROM replies
UNION
SELECT id, (last_seen_at AT TIME ZONE 'UTC')::date FROM users
WHERE last_seen_at IS NOT NULL AND deleted_at IS NULL
ON CONFLICT DO NOTHING;

-- One UTC day's figures. Counts are of that day; the arrays hold each measured item's
-- seconds, sorted, so any range's percentiles are exact.
CREATE TABLE stats_days (
    day DATE PRIMARY KEY,
    computed_at TIMESTAMPTZ NOT NULL,
    signups INTEGER NOT NULL,
    active_members INTEGER NOT NULL,
    -- Threads started that day (neither hidden nor deleted), those answered within 7 days
    -- by someone other than the author, those solved within 7 days, and the seconds to
    -- each answered thread's first such reply.
    threads INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    solved INTEGER NOT NULL,
    first_reply_seconds INTEGER[] NOT NULL,
    replies INTEGER NOT NULL,
    -- Requests made that day; requests whose wait ended that day (accepted, declined or
    -- expired; not withdrawn), the accepted among them, and the seconds each answered one
    -- (accepted or declined) waited.
    mentorship_requests INTEGER NOT NULL,
    mentorship_outcomes INTEGER NOT NULL,
    mentorship_accepted INTEGER NOT NULL,
    mentorship_response_seconds INTEGER[] NOT NULL,
    -- RSVPs made that day; seats taken and offered at meetups with a capacity held that day.
    meetup_rsvps INTEGER NOT NULL,
    meetup_going INTEGER NOT NULL,
    meetup_capacity INTEGER NOT NULL,
    -- Reports made that day; seconds each report handled that day waited.
    reports INTEGER NOT NULL,
    report_resolution_seconds INTEGER[] NOT NULL,
    -- Appeals decided that day, and those that overturned the action.
    appeals_decided INTEGER NOT NULL,
    appeals_overturned INTEGER NOT NULL
);

-- Distinct members seen in a week (from Monday) or a calendar month: not a sum of days.
CREATE TABLE stats_periods (
    period TEXT NOT NULL CHECK (period IN ('week', 'month')),
    starts_on DATE NOT NULL,
    active_members INTEGER NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (period, starts_on)
);

-- Where `devforum stats backfill` got to, so an interrupted run resumes.
CREATE TABLE stats_backfills (
    since DATE PRIMARY KEY,
    done_through DATE,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);

-- What the rollup reads by time. Replies and RSVPs arrive in time order: a BRIN index costs
-- their inserts next to nothing.
CREATE INDEX threads_created_idx ON threads (created_at);
CREATE INDEX replies_created_brin ON replies USING brin (created_at) WITH (autosummarize = on);
CREATE INDEX meetup_rsvps_created_brin ON meetup_rsvps USING brin (created_at) WITH (autosummarize = on);
CREATE INDEX users_created_idx ON users (created_at);
CREATE INDEX mentorship_requests_created_idx ON mentorship_requests (created_at);
CREATE INDEX mentorship_requests_answered_idx ON mentorship_requests (answered_at) WHERE answered_at IS NOT NULL;
CREATE INDEX reports_created_idx ON reports (created_at);
CREATE INDEX reports_handled_idx ON reports (handled_at) WHERE handled_at IS NOT NULL;
CREATE INDEX appeals_decided_idx ON appeals (decided_at) WHERE decided_at IS NOT NULL;

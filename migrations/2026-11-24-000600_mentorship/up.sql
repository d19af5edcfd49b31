-- Mentorship: mentor profiles, and requests from mentees that mentors accept or decline.
CREATE TABLE mentor_profiles (
    user_id            BIGINT      PRIMARY KEY REFERENCES users (id),
    headline           TEXT        NOT NULL CHECK (char_length(headline) BETWEEN 1 AND 120),
    bio                TEXT        NOT NULL DEFAULT '' CHECK (char_length(bio) <= 10000),
    bio_html           TEXT        NOT NULL DEFAULT '',
    skills             TEXT[]      NOT NULL CHECK (cardinality(skills) BETWEEN 1 AND 15),
    languages          TEXT[]      NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 10),
    timezone           TEXT        NOT NULL,
    capacity           INTEGER     NOT NULL CHECK (capacity BETWEEN 1 AND 20),
    -- The mentor's own switch; being full closes the door too (see the directory).
    accepting_requests BOOLEAN     NOT NULL,
    -- Accepted requests, kept by a trigger on mentorship_requests so no path can forget it.
    -- It may exceed a capacity the mentor lowered later; it never grows past it by accepting.
    active_mentees     INTEGER     NOT NULL DEFAULT 0 CHECK (active_mentees >= 0),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The directory pages newest first; skill and language filters use the GIN indexes.
CREATE INDEX mentor_profiles_directory_idx ON mentor_profiles (created_at DESC, user_id DESC);
CREATE INDEX mentor_profiles_skills_idx ON mentor_profiles USING GIN (skills);
CREATE INDEX mentor_profiles_languages_idx ON mentor_profiles USING GIN (languages);

CREATE TABLE mentorship_requests (
    id             BIGSERIAL   PRIMARY KEY,
    mentee_id      BIGINT      NOT NULL REFERENCES users (id),
    mentor_id      BIGINT      NOT NULL REFERENCES mentor_profiles (user_id),
    message        TEXT        NOT NULL CHECK (char_length(message) BETWEEN 1 AND 2000),
    goals          TEXT        NOT NULL CHECK (char_length(goals) BETWEEN 1 AND 2000),
    status         TEXT        NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn', 'completed')),
    -- The note a mentor gave with an answer.
    reason         TEXT        CHECK (char_length(reason) <= 1000),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When the mentor accepted or declined, or the mentee withdrew.
    answered_at    TIMESTAMPTZ,
    completed_at   TIMESTAMPTZ,
    CONSTRAINT mentorship_requests_not_to_oneself CHECK (mentee_id <> mentor_id)
);
-- One open request per pair: a second one while the first is pending or accepted is refused.
CREATE UNIQUE INDEX mentorship_requests_open_pair_key ON mentorship_requests (mentee_id, mentor_id)
    WHERE status IN ('pending', 'accepted');
-- "My requests" as mentor and as mentee, newest first.
CREATE INDEX mentorship_requests_mentor_idx ON mentorship_requests (mentor_id, created_at DESC, id DESC);
CREATE INDEX mentorship_requests_mentee_idx ON mentorship_requests (mentee_id, created_at DESC, id DESC);

CREATE FUNCTION devforum_mentorship_active_mentees() RETURNS trigger AS $$
DECLARE
    was_active BOOLEAN := TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'accepted';
    is_active  BOOLEAN := TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'accepted';
BEGIN
    IF was_active AND NOT is_active THEN
        UPDATE mentor_profiles SET active_mentees = active_mentees - 1 WHERE user_id = OLD.mentor_id;
    ELSIF is_active AND NOT was_active THEN
        -- The service checks capacity under a row lock first; this is the backstop.
        UPDATE mentor_profiles SET active_mentees = active_mentees + 1
            WHERE user_id = NEW.mentor_id AND active_mentees < capacity;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'mentor % is at capacity', NEW.mentor_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'mentor_profiles_capacity';
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER mentorship_requests_active_mentees
    AFTER INSERT OR UPDATE OF status OR DELETE ON mentorship_requests
    FOR EACH ROW EXECUTE FUNCTION devforum_mentorship_active_mentees();

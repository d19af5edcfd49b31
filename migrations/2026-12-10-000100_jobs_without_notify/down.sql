CREATE FUNCTION devforum_notify_jobs() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('devforum_jobs', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_notify_insert
    AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION devforum_notify_jobs();

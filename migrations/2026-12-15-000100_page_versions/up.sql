-- When a thread's public page (/t/{id}/{slug}) last changed in a way its last activity does not
-- show: the thread edited, moderated or solved, a reply edited, hidden, deleted or erased.
-- With last_activity_at and reply_count it makes the page's ETag and Last-Modified, so a
-- conditional request is answered from this one row. The epoch until the first such change
-- (no table rewrite).
ALTER TABLE thread_activity ADD COLUMN changed_at timestamptz NOT NULL DEFAULT '1970-01-01 00:00:00+00';

CREATE FUNCTION devforum_thread_page_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'threads' THEN
        UPDATE thread_activity SET changed_at = now() WHERE thread_id = NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE thread_activity SET changed_at = now() WHERE thread_id = OLD.thread_id;
    ELSE
        UPDATE thread_activity SET changed_at = now() WHERE thread_id = NEW.thread_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER threads_page_changed AFTER UPDATE OF title, body_html, tags, author_id, locked,
    hidden, deleted_at, solved ON threads
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title
                       OR OLD.body_html IS DISTINCT FROM NEW.body_html
                       OR OLD.tags IS DISTINCT FROM NEW.tags
                       OR OLD.author_id IS DISTINCT FROM NEW.author_id
                       OR OLD.locked IS DISTINCT FROM NEW.locked
                       OR OLD.hidden IS DISTINCT FROM NEW.hidden
                       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
                       OR OLD.solved IS DISTINCT FROM NEW.solved)
    EXECUTE FUNCTION devforum_thread_page_changed();

CREATE TRIGGER replies_page_changed AFTER UPDATE OF body_html, author_id, hidden, deleted_at
    ON replies
    FOR EACH ROW WHEN (OLD.body_html IS DISTINCT FROM NEW.body_html
                       OR OLD.author_id IS DISTINCT FROM NEW.author_id
                       OR OLD.hidden IS DISTINCT FROM NEW.hidden
                       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION devforum_thread_page_changed();

CREATE TRIGGER thread_solutions_page_changed AFTER INSERT OR UPDATE OR DELETE ON thread_solutions
    FOR EACH ROW EXECUTE FUNCTION devforum_thread_page_changed();

-- Search ranking and filters on PostgreSQL.
--
-- * `votes`: a document's votes, bucketed (0, 1, 2-3, 4-7, ...), for "better voted first among
--   equals"; bucketed so that a vote rewrites the document only when its bucket changes.
-- * Tags become lexemes of `document` ('#rust'), so a tag filter is intersected with the words
--   inside the GIN index instead of after it. No word a member types can produce them: the
--   parser drops '#'.
-- * `title_document`: the title alone (not for replies), so that documents whose title matches
--   rank first.
-- * `search_expand`: synonyms (search.synonyms in the configuration) expanded in a query.
-- * `search_text`: dotted and scoped identifiers (asyncio.gather, std::move, a->b) split into
--   their words, in the text indexed and in queries alike: the default parser would keep
--   "asyncio.gather" as one host name, which nobody typing "asyncio gather" finds.
ALTER TABLE search_documents ADD COLUMN votes INTEGER NOT NULL DEFAULT 0 CHECK (votes >= 0);

CREATE FUNCTION search_text(words TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN regexp_replace(words, '([[:alnum:]_])(\.|::|->)([[:alpha:]_])', '\1 \3', 'g');

CREATE FUNCTION search_tag_lexemes(tags TEXT[]) RETURNS TSVECTOR
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN array_to_tsvector(ARRAY(SELECT '#' || t FROM unnest(tags) AS t));

DROP INDEX search_documents_document_idx;
ALTER TABLE search_documents DROP COLUMN document;
ALTER TABLE search_documents ADD COLUMN document TSVECTOR NOT NULL GENERATED ALWAYS AS (
    ts_delete(
        setweight(to_tsvector('english',
            CASE WHEN kind = 'reply' THEN '' ELSE search_text(title) END), 'A')
        || to_tsvector('simple', 'devforumfieldbreak')
        || setweight(to_tsvector('english', coalesce(search_words_of(tags), '')), 'B')
        || to_tsvector('simple', 'devforumfieldbreak')
        || setweight(to_tsvector('english', search_text(body)), 'C'),
        'devforumfieldbreak')
    || search_tag_lexemes(tags)
) STORED;
CREATE INDEX search_documents_document_idx ON search_documents USING GIN (document);

ALTER TABLE search_documents ADD COLUMN title_document TSVECTOR NOT NULL GENERATED ALWAYS AS (
    CASE WHEN kind = 'reply' THEN ''::tsvector ELSE to_tsvector('english', search_text(title)) END
) STORED;

-- The tag lexemes are not words: they never correct a typo.
DELETE FROM search_lexemes WHERE lexeme ~ '^#';

-- Each group of synonyms ('js javascript') makes every one of its words match any of them. The
-- words go to a placeholder first, so the alternatives are never rewritten again themselves.
CREATE FUNCTION search_expand(words TSQUERY, synonym_groups TEXT[]) RETURNS TSQUERY
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    grp INTEGER;
    word TEXT;
    alternatives TSQUERY;
    target TSQUERY;
    placeholder TSQUERY;
BEGIN
    FOR grp IN 1 .. coalesce(array_length(synonym_groups, 1), 0) LOOP
        alternatives := NULL;
        placeholder := quote_literal(' synonym group ' || grp)::tsquery;
        FOREACH word IN ARRAY regexp_split_to_array(trim(synonym_groups[grp]), '\s+') LOOP
            target := plainto_tsquery('english', word);
            CONTINUE WHEN numnode(target) = 0;
            alternatives := CASE WHEN alternatives IS NULL THEN target
                                 ELSE alternatives || target END;
            words := ts_rewrite(words, target, placeholder);
        END LOOP;
        CONTINUE WHEN alternatives IS NULL;
        words := ts_rewrite(words, placeholder, alternatives);
    END LOOP;
    RETURN words;
END
$$;

DROP FUNCTION search_expand(TSQUERY, TEXT[]);
ALTER TABLE search_documents DROP COLUMN title_document;
DROP INDEX search_documents_document_idx;
ALTER TABLE search_documents DROP COLUMN document;
ALTER TABLE search_documents ADD COLUMN document TSVECTOR NOT NULL GENERATED ALWAYS AS (
    ts_delete(
        setweight(to_tsvector('english', CASE WHEN kind = 'reply' THEN '' ELSE title END), 'A')
        || to_tsvector('simple', 'devforumfieldbreak')
        || setweight(to_tsvector('english', coalesce(search_words_of(tags), '')), 'B')
        || to_tsvector('simple', 'devforumfieldbreak')
        || setweight(to_tsvector('english', body), 'C'),
        'devforumfieldbreak')
) STORED;
CREATE INDEX search_documents_document_idx ON search_documents USING GIN (document);
DROP FUNCTION search_tag_lexemes(TEXT[]);
DROP FUNCTION search_text(TEXT);
ALTER TABLE search_documents DROP COLUMN votes;

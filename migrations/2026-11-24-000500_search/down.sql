DROP TABLE search_rebuilds;
DROP TABLE search_lexemes;
DROP TABLE search_documents;
DROP FUNCTION search_words_of(TEXT[]);
DROP EXTENSION IF EXISTS pg_trgm;

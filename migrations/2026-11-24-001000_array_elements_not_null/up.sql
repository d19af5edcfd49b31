-- Lists of tags, skills and languages never hold NULL elements; the schema diesel reads
-- (src/schema.patch) relies on it, so the database says it too.
ALTER TABLE users ADD CONSTRAINT users_skills_no_null CHECK (array_position(skills, NULL) IS NULL);
ALTER TABLE threads ADD CONSTRAINT threads_tags_no_null CHECK (array_position(tags, NULL) IS NULL);
ALTER TABLE meetups ADD CONSTRAINT meetups_tags_no_null CHECK (array_position(tags, NULL) IS NULL);
ALTER TABLE mentor_profiles
    ADD CONSTRAINT mentor_profiles_skills_no_null CHECK (array_position(skills, NULL) IS NULL),
    ADD CONSTRAINT mentor_profiles_languages_no_null CHECK (array_position(languages, NULL) IS NULL);
ALTER TABLE search_documents ADD CONSTRAINT search_documents_tags_no_null CHECK (array_position(tags, NULL) IS NULL);

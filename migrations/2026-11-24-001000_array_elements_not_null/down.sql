ALTER TABLE search_documents DROP CONSTRAINT search_documents_tags_no_null;
ALTER TABLE mentor_profiles
    DROP CONSTRAINT mentor_profiles_languages_no_null,
    DROP CONSTRAINT mentor_profiles_skills_no_null;
ALTER TABLE meetups DROP CONSTRAINT meetups_tags_no_null;
ALTER TABLE threads DROP CONSTRAINT threads_tags_no_null;
ALTER TABLE users DROP CONSTRAINT users_skills_no_null;

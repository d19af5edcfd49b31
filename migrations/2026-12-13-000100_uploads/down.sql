ALTER TABLE users DROP COLUMN avatar_url;
DROP TABLE upload_uses;
DROP TABLE uploads;
DROP TABLE upload_objects;

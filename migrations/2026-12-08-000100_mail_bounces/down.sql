DROP TABLE mail_bounces;
ALTER TABLE users DROP COLUMN email_undeliverable_at;

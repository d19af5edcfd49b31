DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
DROP TABLE totp_secrets;
DROP TABLE oauth_codes;
DROP TABLE oauth_states;
DROP TABLE identities;
ALTER TABLE sessions DROP COLUMN method;
ALTER TABLE users DROP COLUMN two_factor;
ALTER TABLE users DROP COLUMN username_pending;

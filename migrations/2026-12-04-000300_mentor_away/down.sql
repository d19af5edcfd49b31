ALTER TABLE mentor_profiles DROP COLUMN away_until;

DROP INDEX meetups_series_occurrence_key;
ALTER TABLE meetups
    DROP CONSTRAINT meetups_occurrence_with_series,
    DROP COLUMN occurrence,
    DROP COLUMN series_id;
DROP TABLE meetup_series;

-- A mentor may pause until a moment ("away until …"): not accepting until then, which lifts by
-- itself because every reader compares it with the clock.
ALTER TABLE mentor_profiles ADD COLUMN away_until TIMESTAMPTZ;

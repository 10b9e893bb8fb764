-- When the event each part of a participant's read model was last taken from happened, so a
-- replayed older event (a dead letter sent again) cannot overwrite what a newer one set.
ALTER TABLE participants ADD COLUMN IF NOT EXISTS details_as_of timestamptz;
ALTER TABLE participants ADD COLUMN IF NOT EXISTS heirs_as_of timestamptz;

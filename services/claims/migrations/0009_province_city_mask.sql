-- The read model's copies of a NIK mask kept 8 of 16 digits until enrollment showed only the
-- province and city (issue 15): mask what was stored before, as enrollment's own migration did,
-- instead of waiting for each participant to be announced again.
UPDATE participants SET masked_nik = left(masked_nik, 4) || repeat('*', 12)
WHERE masked_nik ~ '^[0-9]{5}';

-- A withdrawn claim, like a rejected one, no longer holds its incident: the family's claim
-- filed again correctly is not a duplicate.
DROP INDEX claims_one_standing_per_incident;
CREATE UNIQUE INDEX claims_one_standing_per_incident ON claims (fingerprint) WHERE status NOT IN ('rejected', 'withdrawn');

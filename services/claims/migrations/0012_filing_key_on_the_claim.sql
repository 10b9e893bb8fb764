-- The Idempotency-Key lives on the claim it made (was table filing_keys, 0011; issue 17). The claim's
-- one insert is then kept or dropped whole: a filing of the same incident, or one with the same key,
-- committed first, and this insert writes nothing (ON CONFLICT DO NOTHING over both unique indexes).
-- A filing needs no transaction of its own any more (its BEGIN and COMMIT were two round trips).
ALTER TABLE claims ADD COLUMN idempotency_key text, ADD COLUMN request_hash text;
UPDATE claims c SET idempotency_key = k.idempotency_key, request_hash = k.request_hash
FROM filing_keys k
WHERE k.claim_id = c.claim_id AND k.filed_by = c.filed_by;
CREATE UNIQUE INDEX claims_filing_key ON claims (filed_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
DROP TABLE filing_keys;

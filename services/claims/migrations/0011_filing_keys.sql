-- An officer's Idempotency-Key for a filing (POST /v1/claims): a retried filing whose answer was lost
-- names the claim its first attempt made, instead of filing the incident again (a rejected claim does
-- not stop a new filing of its incident, so without the key a retry after a quick rejection made a
-- second claim, and the family heard everything twice). Scoped to the officer: one officer's keys say
-- nothing about another's claims. `request_hash` (SHA-256 of the filing as sent) tells a retry from a
-- different filing that reuses a key.
CREATE TABLE filing_keys (
    filed_by         text NOT NULL,
    idempotency_key  text NOT NULL,
    claim_id         text NOT NULL,
    request_hash     text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (filed_by, idempotency_key)
);

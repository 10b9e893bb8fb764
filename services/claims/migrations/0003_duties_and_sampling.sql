-- Separation of duties and fraud controls (domain/duties.py, domain/sampling.py).

-- Who added documents to a claim: none of them may decide it (four eyes).
ALTER TABLE claims ADD COLUMN documents_added_by text[] NOT NULL DEFAULT '{}';
-- Referred to a supervisor by the fraud controls (drawn at random, or above the value
-- threshold) although the rules would have approved it. Set once, never cleared.
ALTER TABLE claims ADD COLUMN sampled boolean NOT NULL DEFAULT false;
CREATE INDEX claims_sampled_in_review ON claims (status) WHERE sampled;

-- Second round: masked NIKs show province and city only, heirs' birth dates, dated incomes,
-- payments that are not the exact amount, deaths, likely duplicate people.

-- Issue 15: the old mask (6 digits + stars + 2) left about a hundred candidates once birth
-- date and sex were known; a masked NIK now shows the province and city code only.
UPDATE participants SET nik_masked = left(nik, 4) || repeat('*', 12);

ALTER TABLE heirs ADD COLUMN birth_date date;

-- Each declared income with the month it takes effect; benefits use the one in effect in the
-- month of the accident or death. participants.monthly_income is the one in effect now.
CREATE TABLE income_history (
    participant_id  text NOT NULL REFERENCES participants ON DELETE CASCADE,
    effective_from  text NOT NULL,  -- "YYYY-MM"
    monthly_income  integer NOT NULL CHECK (monthly_income > 0),
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (participant_id, effective_from)
);
INSERT INTO income_history (participant_id, effective_from, monthly_income, recorded_by)
SELECT participant_id, to_char(member_since, 'YYYY-MM'), monthly_income, 'migration-0002' FROM participants;

-- Several payments may add up to one month (a partial payment, then the rest); each keeps
-- what was due for its month when it was recorded, so a later income change does not turn
-- a completed month into a partial one.
ALTER TABLE contributions DROP CONSTRAINT contributions_participant_id_period_key;
ALTER TABLE contributions ADD COLUMN amount_due integer;
UPDATE contributions SET amount_due = amount;
ALTER TABLE contributions ALTER COLUMN amount_due SET NOT NULL;
CREATE INDEX contributions_participant_period ON contributions (participant_id, period);

-- A death confirmed by claims (DeathConfirmed) ends the membership.
ALTER TABLE participants ADD COLUMN deceased_on date;
ALTER TABLE participants ADD COLUMN death_claim_id text;

-- Likely duplicate people beyond the NIK (domain/duplicates.py): flagged for an officer to
-- merge ("mark as duplicate of", no data moved) or dismiss; never refused automatically.
ALTER TABLE participants ADD COLUMN duplicate_of text REFERENCES participants;
CREATE INDEX participants_birth_date ON participants (birth_date);
CREATE TABLE duplicate_candidates (
    candidate_id    text PRIMARY KEY,
    participant_id  text NOT NULL REFERENCES participants ON DELETE CASCADE,  -- enrolled later
    duplicate_of    text NOT NULL REFERENCES participants ON DELETE CASCADE,  -- enrolled before
    score           real NOT NULL,
    reasons         text[] NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'merged')),
    decided_by      text,
    decided_at      timestamptz,
    decision_reason text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (participant_id, duplicate_of)
);
CREATE INDEX duplicate_candidates_status ON duplicate_candidates (status, created_at);

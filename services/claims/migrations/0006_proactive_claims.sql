-- Issue 19: death claims Jaring opens itself when the civil registry reports a covered
-- participant's death (docs/outreach.md).

-- A proactive claim: when it was opened (WITA day), what a filed claim would pay and what to
-- bring (told to the family), when the family was reminded, and when the family came.
ALTER TABLE claims
    ADD COLUMN proactive            boolean NOT NULL DEFAULT false,
    ADD COLUMN expected_amount      bigint,
    ADD COLUMN documents_to_bring   jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN family_reminded_on   date,
    ADD COLUMN family_came_on       date;
CREATE INDEX claims_awaiting_family ON claims (filed_on) WHERE status = 'awaiting_family';

-- Every death the registry reported (participants only: enrollment drops the others), with
-- what became of it; one row per registry event, so a redelivered DeathReported changes nothing.
CREATE TABLE reported_deaths (
    registry_event_id  text PRIMARY KEY,
    participant_id     text NOT NULL,
    date_of_death      date NOT NULL,
    outcome            text NOT NULL,  -- opened, not_covered, not_enrolled_in_jkm, already_claimed
    claim_id           text,
    received_on        date NOT NULL
);

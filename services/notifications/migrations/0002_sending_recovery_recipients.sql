-- A message is marked `sending` (with its attempt's reference and a lease token) in a
-- committed transaction before the provider is called; a result is written only by the
-- holder of the current lease token (a fence against a sender whose lease ran out).
-- `unknown`: the answer was lost and the provider cannot be asked; an operator decides.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'unknown'));
ALTER TABLE notifications
    ADD COLUMN lease_token     uuid,
    ADD COLUMN reference       text,           -- the current attempt's client reference at the provider
    ADD COLUMN template        text,           -- domain.templates name (WhatsApp sends it as a template)
    ADD COLUMN template_params text[] NOT NULL DEFAULT '{}';
CREATE INDEX notifications_sending ON notifications (locked_until) WHERE status = 'sending';

-- Who else can be told: the worker himself after a non-fatal accident, and the claim's reporter.
ALTER TABLE participants ADD COLUMN phone text;
ALTER TABLE claims ADD COLUMN reporter_name text, ADD COLUMN reporter_phone text;

-- Family members who could not be told (no phone, no email), once per claim: claims hears it once.
CREATE TABLE unreachable (
    claim_id    text NOT NULL,
    heir_id     text NOT NULL,
    about_event text NOT NULL,
    noted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (claim_id, heir_id)
);

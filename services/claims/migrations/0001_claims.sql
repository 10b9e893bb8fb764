-- Claims' own tables (schema "claims").

-- Read model of enrollment's participants, built from its events only.
CREATE TABLE participants (
    participant_id    text PRIMARY KEY,
    masked_nik        text NOT NULL,
    full_name         text NOT NULL,
    member_since      date NOT NULL,
    programs          text[] NOT NULL,
    monthly_income    integer NOT NULL,
    protected_periods jsonb NOT NULL DEFAULT '[]'::jsonb,
    paid_months       integer NOT NULL DEFAULT 0,
    coverage_status   text NOT NULL DEFAULT 'not_started'
);
CREATE INDEX participants_name ON participants (lower(full_name));

CREATE TABLE heirs (
    heir_id        text PRIMARY KEY,
    participant_id text NOT NULL,
    position       integer NOT NULL,
    full_name      text NOT NULL,
    relationship   text NOT NULL,
    precedence     integer NOT NULL,
    phone          text,
    email          text,
    language       text NOT NULL DEFAULT 'id'
);
CREATE INDEX heirs_participant ON heirs (participant_id, position);

CREATE TABLE claims (
    claim_id              text PRIMARY KEY,
    participant_id        text NOT NULL,
    claim_type            text NOT NULL,
    incident_date         date NOT NULL,
    incident_place        text NOT NULL,
    cause                 text NOT NULL,
    traffic_accident      boolean NOT NULL DEFAULT false,
    reporter              jsonb NOT NULL,
    documents             jsonb NOT NULL,
    incapacity_days       integer,
    disability_percent    integer,
    fingerprint           text NOT NULL,
    status                text NOT NULL,
    reasons               jsonb NOT NULL DEFAULT '[]'::jsonb,
    missing_documents     jsonb NOT NULL DEFAULT '[]'::jsonb,
    documents_complete_on date,
    sla_deadline          date,
    decided_by            text,
    decision_note         text,
    disbursement_status   text,
    disbursement_reference text,
    filed_by              text NOT NULL,
    filed_on              date NOT NULL,
    filed_at              timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claims_status ON claims (status, filed_at);
CREATE INDEX claims_participant ON claims (participant_id);
-- The same incident cannot stand twice; a rejected claim no longer stands.
CREATE UNIQUE INDEX claims_one_standing_per_incident ON claims (fingerprint) WHERE status <> 'rejected';

-- Each step of a claim with its time: the timeline officers follow.
CREATE TABLE claim_steps (
    id        bigserial PRIMARY KEY,
    claim_id  text NOT NULL,
    step      text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    detail    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX claim_steps_claim ON claim_steps (claim_id, at);

-- The payout ledger, integer rupiah. One row per (claim, component, payee): a
-- redelivered approval cannot record a component twice.
CREATE TABLE payout_ledger (
    claim_id       text NOT NULL,
    component      text NOT NULL,
    payee_heir_id  text NOT NULL DEFAULT '',
    payee_name     text,
    amount         bigint NOT NULL CHECK (amount >= 0),
    kind           text NOT NULL CHECK (kind IN ('cash', 'entitlement')),
    note           text NOT NULL DEFAULT '',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (claim_id, component, payee_heir_id)
);

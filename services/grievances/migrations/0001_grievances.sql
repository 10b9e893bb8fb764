-- Grievances' own tables (schema "grievances").

-- Read model of enrollment's heirs (phones a claim's family may look it up with).
CREATE TABLE heirs (
    heir_id        text PRIMARY KEY,
    participant_id text NOT NULL,
    full_name      text NOT NULL,
    precedence     integer NOT NULL,
    phone          text,
    email          text,
    language       text NOT NULL DEFAULT 'id'
);
CREATE INDEX heirs_participant ON heirs (participant_id);
CREATE INDEX heirs_phone ON heirs (phone) WHERE phone IS NOT NULL;

-- Read model of claims, from claims' events.
CREATE TABLE claims (
    claim_id            text PRIMARY KEY,
    participant_id      text NOT NULL,
    claim_type          text NOT NULL,
    status              text NOT NULL,
    reporter_phone      text,
    missing_documents   jsonb NOT NULL DEFAULT '[]',
    payment_deadline    date,
    disbursement_status text,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claims_participant ON claims (participant_id);
CREATE INDEX claims_reporter_phone ON claims (reporter_phone) WHERE reporter_phone IS NOT NULL;

-- Cash per heir of a claim (PayoutRecorded): what each person may see of their own share.
CREATE TABLE payout_shares (
    claim_id text NOT NULL,
    heir_id  text NOT NULL,
    amount   bigint NOT NULL,
    PRIMARY KEY (claim_id, heir_id)
);

CREATE TABLE grievances (
    grievance_id   text PRIMARY KEY,
    category       text NOT NULL,
    channel        text NOT NULL,
    status         text NOT NULL CHECK (status IN ('open', 'resolved')),
    claim_id       text,
    participant_id text,
    text           text NOT NULL,
    filed_by       text NOT NULL,
    assigned_to    text NOT NULL,
    filed_on       date NOT NULL,
    due_on         date NOT NULL,
    contact        jsonb,
    escalated_to   text,
    escalated_at   timestamptz,
    resolution     text,
    resolved_by    text,
    resolved_on    date,
    reopen_count   integer NOT NULL DEFAULT 0,
    -- An inbound message files at most one grievance, however often it is delivered.
    source_message text UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grievances_claim ON grievances (claim_id, created_at);
CREATE INDEX grievances_queue ON grievances (due_on) WHERE status = 'open';

CREATE TABLE grievance_comments (
    id           bigserial PRIMARY KEY,
    grievance_id text NOT NULL REFERENCES grievances,
    author       text NOT NULL,
    role         text NOT NULL,
    text         text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grievance_comments_of ON grievance_comments (grievance_id, at);

-- "Lacak Klaim": one row per code request, whether or not the phone is on the claim (the
-- answer must not tell them apart). code_hash is NULL when no code was sent.
CREATE TABLE lookups (
    lookup_id    text PRIMARY KEY,
    claim_number text NOT NULL,
    phone        text NOT NULL,
    client       text NOT NULL,
    heir_id      text,
    code_hash    text,
    expires_at   timestamptz NOT NULL,
    verified_at  timestamptz,
    used         boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lookups_claim ON lookups (claim_number, created_at);

-- Wrong codes per claim number, and the lock they set.
CREATE TABLE lookup_locks (
    claim_number text PRIMARY KEY,
    wrong_codes  integer NOT NULL DEFAULT 0,
    locked_until timestamptz
);

-- Requests counted for the rate limits (scope: phone or client).
CREATE TABLE rate_hits (
    scope text NOT NULL,
    key   text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_hits_recent ON rate_hits (scope, key, at);

-- A claim referred for missing documents: the family was told; one reminder is due on remind_on
-- while the documents are still missing. Closed when a decision no longer lists any missing.
CREATE TABLE document_requests (
    claim_id     text PRIMARY KEY,
    missing      jsonb NOT NULL,
    requested_on date NOT NULL,
    remind_on    date NOT NULL,
    reminded_at  timestamptz,
    open         boolean NOT NULL DEFAULT true
);
CREATE INDEX document_requests_due ON document_requests (remind_on) WHERE open AND reminded_at IS NULL;

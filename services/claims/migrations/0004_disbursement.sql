-- Disbursement: payees' accounts, one transfer line per cash ledger line, each attempt to
-- pay it, reversals, bank notifications seen, and the reconciliation of bank statements.

-- Where a payee is paid, recorded by an officer. payee: the heir_id, or '' for a line
-- without an heir (the worker's own benefits, or whoever handled the burial).
CREATE TABLE payee_accounts (
    claim_id       text NOT NULL,
    payee          text NOT NULL,
    method         text NOT NULL CHECK (method IN ('bank', 'cash')),
    bank_code      text,
    account_number text,
    account_name   text NOT NULL,
    -- The bank's account inquiry: unchecked until asked, then ok or rejected (reason_code).
    checked        text NOT NULL DEFAULT 'unchecked' CHECK (checked IN ('unchecked', 'ok', 'rejected')),
    holder_name    text,
    reason_code    text,
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (claim_id, payee)
);

CREATE TABLE disbursement_lines (
    claim_id       text NOT NULL,
    component      text NOT NULL,
    payee_heir_id  text NOT NULL,
    payee_name     text,
    participant_id text NOT NULL,
    amount         bigint NOT NULL CHECK (amount > 0),
    status         text NOT NULL DEFAULT 'received'
                   CHECK (status IN ('received', 'pending', 'succeeded', 'rejected')),
    reason_code    text,
    attempts       integer NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (claim_id, component, payee_heir_id)
);
CREATE INDEX disbursement_lines_waiting ON disbursement_lines (updated_at) WHERE status = 'received';

-- Each attempt is written and committed with its external id BEFORE the bank is called, so a
-- process killed mid-call finds it on restart and asks the bank for its status first.
CREATE TABLE transfer_attempts (
    external_id    text PRIMARY KEY,
    claim_id       text NOT NULL,
    component      text NOT NULL,
    payee_heir_id  text NOT NULL,
    attempt        integer NOT NULL,
    method         text NOT NULL CHECK (method IN ('bank', 'cash', 'manual')),
    bank_code      text,
    account_number text,
    account_name   text,
    amount         bigint NOT NULL CHECK (amount > 0),
    status         text NOT NULL CHECK (status IN ('sending', 'pending', 'succeeded', 'rejected', 'reversed')),
    reason_code    text,
    bank_reference text,
    pickup_code    text,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (claim_id, component, payee_heir_id, attempt)
);
-- Never two live or successful transfers for one ledger line: a second attempt can only be
-- written once the first was rejected or reversed.
CREATE UNIQUE INDEX transfer_attempts_one_live ON transfer_attempts (claim_id, component, payee_heir_id)
    WHERE status IN ('sending', 'pending', 'succeeded');
CREATE INDEX transfer_attempts_open ON transfer_attempts (updated_at) WHERE status IN ('sending', 'pending');

CREATE TABLE transfer_reversals (
    external_id  text PRIMARY KEY REFERENCES transfer_attempts (external_id),
    claim_id     text NOT NULL,
    amount       bigint NOT NULL,
    reason       text NOT NULL,
    reversed_by  text NOT NULL,
    reversed_at  timestamptz NOT NULL DEFAULT now()
);

-- X-EXTERNAL-IDs of bank notifications already taken: a replayed notification is refused.
CREATE TABLE bank_notifications_seen (
    external_id  text PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bank_statements (
    statement_id text PRIMARY KEY,
    booked_on    date NOT NULL,
    entries      integer NOT NULL,
    imported_by  text NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reconciliation_items (
    id             bigserial PRIMARY KEY,
    statement_id   text NOT NULL REFERENCES bank_statements (statement_id),
    kind           text NOT NULL CHECK (kind IN ('paid_not_on_statement', 'unknown_on_statement', 'amount_differs')),
    external_id    text,
    claim_id       text,
    end_to_end_id  text,
    bank_reference text,
    expected       bigint,
    booked         bigint,
    action         text NOT NULL,
    resolved       boolean NOT NULL DEFAULT false
);
CREATE INDEX reconciliation_items_open ON reconciliation_items (statement_id) WHERE NOT resolved;

-- Claims flagged for follow-up: a payee answered that the money did not arrive.
CREATE TABLE follow_ups (
    claim_id       text NOT NULL,
    payee_heir_id  text NOT NULL,
    reason         text NOT NULL,
    flagged_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz,
    PRIMARY KEY (claim_id, payee_heir_id, reason)
);

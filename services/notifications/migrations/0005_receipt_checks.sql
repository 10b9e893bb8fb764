-- Payees asked whether the money arrived, and their answers; the X-EXTERNAL-IDs of inbound
-- replies already taken (a replayed reply is refused).
CREATE TABLE receipt_checks (
    claim_id       text NOT NULL,
    heir_id        text NOT NULL,
    participant_id text NOT NULL,
    phone          text NOT NULL,
    amount         bigint NOT NULL,
    asked_at       timestamptz NOT NULL DEFAULT now(),
    answer         text CHECK (answer IN ('yes', 'no', 'unclear')),
    answered_at    timestamptz,
    PRIMARY KEY (claim_id, heir_id)
);
CREATE INDEX receipt_checks_open ON receipt_checks (phone, asked_at) WHERE answer IS NULL;

CREATE TABLE inbound_seen (
    external_id  text PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now()
);

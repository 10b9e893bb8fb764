-- Notifications' own tables (schema "notifications").

-- Read model of enrollment's participants and heirs, built from its events only.
CREATE TABLE participants (
    participant_id text PRIMARY KEY,
    full_name      text NOT NULL,
    masked_nik     text NOT NULL
);

CREATE TABLE heirs (
    heir_id        text PRIMARY KEY,
    participant_id text NOT NULL,
    position       integer NOT NULL,
    full_name      text NOT NULL,
    relationship   text NOT NULL,
    phone          text,
    email          text,
    language       text NOT NULL DEFAULT 'id'
);
CREATE INDEX heirs_participant ON heirs (participant_id, position);

-- Read model of claims, from ClaimFiled.
CREATE TABLE claims (
    claim_id       text PRIMARY KEY,
    participant_id text NOT NULL,
    claim_type     text NOT NULL
);

-- One message per (event, heir, channel): the unique key is what keeps a redelivered
-- event from reaching a family twice.
CREATE TABLE notifications (
    notification_id      text PRIMARY KEY,
    event_id             uuid NOT NULL,
    about_event          text NOT NULL,
    claim_id             text NOT NULL,
    participant_id       text NOT NULL,
    heir_id              text NOT NULL,
    channel              text NOT NULL,
    address              text NOT NULL,
    language             text NOT NULL,
    subject              text NOT NULL,
    body                 text NOT NULL,
    status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts             integer NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    locked_until         timestamptz,
    last_error           text,
    provider_message_id  text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    finished_at          timestamptz,
    UNIQUE (event_id, heir_id, channel)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_claim ON notifications (claim_id, created_at);

CREATE TABLE delivery_attempts (
    notification_id text NOT NULL REFERENCES notifications,
    attempt         integer NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    outcome         text NOT NULL,
    detail          text NOT NULL,
    PRIMARY KEY (notification_id, attempt)
);

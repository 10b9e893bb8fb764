-- The console's read model (schema "console"), built only from the topics by its own
-- consumer groups: dropping the schema and the groups and starting again rebuilds it.

-- Every event of every catalogue topic: where it sits and what it was. Payloads are not
-- kept (ClaimFiled carries KTP numbers, which are NIKs); `summary` holds the few fields
-- a trace needs, none of them personal (domain/index.py chooses them).
CREATE TABLE events (
    topic            text NOT NULL,
    kafka_partition  integer NOT NULL,
    kafka_offset     bigint NOT NULL,
    event_id         uuid NOT NULL,
    type             text NOT NULL,
    version          integer NOT NULL,
    correlation_id   text NOT NULL,
    causation_id     text,
    participant_id   text,
    producer         text NOT NULL,
    key              text,
    occurred_at      timestamptz NOT NULL,
    logged_at        timestamptz,  -- the broker's timestamp of the record
    summary          jsonb NOT NULL DEFAULT '{}'::jsonb,
    indexed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, kafka_partition, kafka_offset)
);
CREATE INDEX events_correlation ON events (correlation_id, occurred_at);
CREATE INDEX events_participant ON events (participant_id, occurred_at) WHERE participant_id IS NOT NULL;
CREATE INDEX events_claims ON events (occurred_at) WHERE topic <> 'enrollment.participants.v1';

-- Every message of every dead-letter topic, with what an operator did about it.
CREATE TABLE dead_letters (
    topic               text NOT NULL,
    kafka_partition     integer NOT NULL,
    kafka_offset        bigint NOT NULL,
    original_topic      text NOT NULL,
    original_partition  integer,
    original_offset     bigint,
    consumer            text NOT NULL DEFAULT '',
    reason              text NOT NULL DEFAULT '',
    key                 text,
    event_id            text,
    event_type          text,
    correlation_id      text,
    headers             jsonb NOT NULL DEFAULT '{}'::jsonb,  -- name -> value as text, NIKs masked
    payload             text NOT NULL DEFAULT '',            -- the bytes as text, NIKs masked, cut short
    dead_lettered_at    timestamptz,
    status              text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'replayed', 'discarded')),
    resolved_by         text,
    resolved_at         timestamptz,
    resolution          text,
    indexed_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, kafka_partition, kafka_offset)
);
CREATE INDEX dead_letters_status ON dead_letters (topic, status, dead_lettered_at);
CREATE INDEX dead_letters_original ON dead_letters (original_topic, original_partition, original_offset);

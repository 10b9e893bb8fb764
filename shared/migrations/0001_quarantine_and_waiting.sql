-- Events Kafka refuses for good (too large, invalid topic) or that keep failing while the
-- events around them go through are moved here, out of the publishing order, so one poison
-- event cannot stop every later event of the service. Moved in the transaction that removes
-- them from the outbox; nothing is lost, an operator decides what to do with them.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS attempts int NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS last_error text;

CREATE TABLE IF NOT EXISTS outbox_quarantine (
    id              bigint PRIMARY KEY,  -- the outbox id: its place in the publishing order
    event_id        uuid NOT NULL UNIQUE,
    topic           text NOT NULL,
    key             text NOT NULL,
    event_type      text NOT NULL,
    headers         jsonb NOT NULL,
    body            bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        int NOT NULL,
    reason          text NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now()
);

-- Messages a consumer could not apply yet (their prerequisite, often from another topic, has
-- not arrived), parked so the consumer commits their offset and goes on with other keys. Later
-- messages of the same key are parked behind them, to keep the key's order. Re-applied in order
-- per key when the prerequisite arrives (or on the periodic retry); dead-lettered with the
-- reason after the consumer's waiting time.
CREATE TABLE IF NOT EXISTS waiting (
    id             bigserial PRIMARY KEY,  -- the order in which a key's messages are re-applied
    consumer       text NOT NULL,
    key            text NOT NULL,
    topic          text NOT NULL,
    "partition"    int NOT NULL,
    "offset"       bigint NOT NULL,
    timestamp_ms   bigint NOT NULL,
    headers        jsonb NOT NULL,  -- [[name, value as latin-1 text]]
    value          bytea NOT NULL,
    event_type     text NOT NULL,
    reason         text NOT NULL,
    -- Event types whose arrival for this key may satisfy it: such a message goes ahead of it.
    waiting_for    text[] NOT NULL DEFAULT '{}',
    parked_at      timestamptz NOT NULL DEFAULT now(),
    -- Since when this message itself has found its prerequisite missing (NULL: parked behind another).
    waiting_since  timestamptz,
    UNIQUE (consumer, topic, "partition", "offset")
);
CREATE INDEX IF NOT EXISTS waiting_by_key ON waiting (consumer, key, id);

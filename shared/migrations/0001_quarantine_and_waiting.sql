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

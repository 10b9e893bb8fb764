-- Issue 19: deaths from the civil registry (docs/outreach.md).

-- The day the registry reported this participant's death: one DeathReported per person.
ALTER TABLE participants ADD COLUMN death_reported_on date;

-- Notifications received, by the registry's event id, so a replayed one is refused. A row of
-- a non-participant's death holds the id alone and is deleted once the signature window has
-- passed (a replay later than that is refused by its timestamp): nothing about them stays.
CREATE TABLE registry_notifications (
    event_id     text PRIMARY KEY,
    participant  boolean NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registry_notifications_others ON registry_notifications (received_at) WHERE NOT participant;

-- What became of the registry's death notifications, counted: "participant" (DeathReported
-- published), "not_participant" (dropped at once), "already_reported", "replay_refused".
CREATE TABLE registry_counts (
    outcome  text PRIMARY KEY,
    count    bigint NOT NULL DEFAULT 0
);

-- The subscription the registry gave us (one per registry and event type).
CREATE TABLE registry_subscriptions (
    registry         text NOT NULL,
    reg_event_type   text NOT NULL,
    code             text NOT NULL,
    subscribed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (registry, reg_event_type)
);

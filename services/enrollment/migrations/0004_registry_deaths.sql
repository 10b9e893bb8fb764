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

-- Reminders before cover lapses (services/enrollment/domain/reminders.py): one per kind per
-- unpaid run (the last paid month before it), with the kecamatan they are counted in.
CREATE TABLE contribution_reminders (
    participant_id    text NOT NULL REFERENCES participants ON DELETE CASCADE,
    last_paid_period  text NOT NULL,  -- "YYYY-MM"
    kind              text NOT NULL CHECK (kind IN ('first_grace_month', 'before_lapse')),
    sent_on           date NOT NULL,
    amount_due        integer NOT NULL,
    cover_ends_on     date NOT NULL,
    kecamatan         text NOT NULL,
    PRIMARY KEY (participant_id, last_paid_period, kind)
);

-- Workers who answered STOP: no more reminders (until an officer records otherwise).
CREATE TABLE reminder_stops (
    participant_id  text PRIMARY KEY REFERENCES participants ON DELETE CASCADE,
    stopped_at      timestamptz NOT NULL,
    channel         text NOT NULL
);

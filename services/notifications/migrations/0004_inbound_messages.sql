-- Messages families sent in (the provider's webhook): one row per provider message, so a
-- webhook delivered twice publishes one InboundMessageReceived.
CREATE TABLE inbound_messages (
    channel     text NOT NULL,
    message_id  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, message_id)
);

-- The index is keyed by the event (issue 17): an event indexed once, whichever record carries it (a
-- redelivery, or a dead letter sent again at a new offset), so its consumers keep no inbox rows
-- (shared.consuming.Consumer.inbox): a write a record, and its pruning, saved. The traceparent the
-- trace page reads lives with the event now; events indexed before kept theirs in the inbox.
-- The same event at two offsets (there should be none: the inbox kept the first) keeps the first.
DELETE FROM events e USING events first
WHERE e.event_id = first.event_id
  AND (first.topic, first.kafka_partition, first.kafka_offset) < (e.topic, e.kafka_partition, e.kafka_offset);
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (event_id);
ALTER TABLE events ADD COLUMN traceparent text;

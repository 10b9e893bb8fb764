-- The trace an applied event came with (W3C traceparent), kept with its inbox row: work done
-- later because of that event (a family message sent by the dispatcher) continues the same
-- trace. The trace of the events a service writes travels in the outbox's `headers`.
ALTER TABLE inbox ADD COLUMN IF NOT EXISTS traceparent text;

"""Prometheus metrics every service exposes on /metrics (one registry per process)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter("jaring_events_published_total", "Events published by the outbox relay", ["topic"])
EVENTS_HANDLED = Counter(
    "jaring_events_handled_total", "Events taken by a consumer", ["consumer", "event_type", "outcome"]
)
DEAD_LETTERS = Counter("jaring_dead_letters_total", "Messages sent to a dead-letter topic", ["consumer", "topic"])
HANDLER_SECONDS = Histogram("jaring_handler_seconds", "Time to apply one event", ["consumer"])
OUTBOX_QUARANTINED = Gauge(
    "jaring_outbox_quarantined", "Events moved out of the outbox because Kafka refused them", ["service"]
)

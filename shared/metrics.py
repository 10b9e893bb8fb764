"""Prometheus metrics every service exposes on /metrics (one registry per process).

Names follow Prometheus' conventions: counters end in `_total`, durations are in seconds and end
in `_seconds`; the route label is the route's template (/v1/claims/{claim_id}), never the path a
caller sent. A service's own metrics live in services/<name>/metrics.py; docs/operations.md
lists them all.
"""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter("jaring_events_published_total", "Events published by the outbox relay", ["topic"])
EVENTS_HANDLED = Counter(
    "jaring_events_handled_total", "Events taken by a consumer", ["consumer", "event_type", "outcome"]
)
DEAD_LETTERS = Counter("jaring_dead_letters_total", "Messages sent to a dead-letter topic", ["consumer", "topic"])
HANDLER_SECONDS = Histogram(
    "jaring_handler_duration_seconds", "Time to apply one event, or one batch in one transaction", ["consumer", "topic"]
)

HTTP_REQUESTS = Counter(
    "jaring_http_requests_total",
    "HTTP requests answered, by route template and status",
    ["service", "method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "jaring_http_request_duration_seconds", "Time to answer an HTTP request", ["service", "method", "route"]
)

# Refreshed at each scrape of /metrics (shared/observability.py): what the outbox holds right now.
OUTBOX_DEPTH = Gauge("jaring_outbox_depth", "Events written to the outbox and not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "jaring_outbox_oldest_age_seconds",
    "Age of the oldest event not yet published (0 when the outbox is empty)",
    ["service"],
)
OUTBOX_QUARANTINED = Gauge(
    "jaring_outbox_quarantined", "Events moved out of the outbox because Kafka refused them", ["service"]
)
INBOX_PRUNED = Counter(
    "jaring_inbox_rows_pruned_total",
    "Inbox rows deleted once no copy of their event can come again (shared/pruning.py)",
    ["service", "consumer"],
)

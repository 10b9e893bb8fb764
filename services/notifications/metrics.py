"""Notifications' counters: what each channel did with the messages to families."""

from __future__ import annotations

from prometheus_client import Counter

DELIVERY_ATTEMPTS = Counter(
    "jaring_notification_attempts_total",
    "Attempts to send a message, by channel and outcome (delivered, temporary_failure, permanent_failure)",
    ["channel", "outcome"],
)
NOTIFICATIONS_FINISHED = Counter(
    "jaring_notifications_finished_total",
    "Messages that reached an end, by channel: delivered, or failed after the last "
    "attempt (the family was not told by that channel)",
    ["channel", "status"],
)

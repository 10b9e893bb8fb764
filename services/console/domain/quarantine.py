"""What the services' outboxes set aside, as the flows page shows it.

Each service lists the events Kafka refused for good at GET /v1/outbox/quarantine (shared/outbox.py).
The console asks every service it knows; a service that does not answer (or answers something
unreadable) is unknown, never counted as zero: "nothing set aside" is only said when everyone
said so. The answers are read without trusting them, and the key and reason are masked like a
dead letter's payload (a key or a reason could hold a NIK or a phone number).

The flows headline is never green while anything is set aside: an event that never reached
Kafka is named before any consumer group's lag, since no consumer will ever read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.console.domain.dead_letters import masked_text
from services.console.domain.flow_health import Concern, FlowHealth

Verdict = Literal["green", "quarantined", "quarantine_unknown"] | Concern
TEXT_LIMIT = 2_000


@dataclass(frozen=True)
class HeldEvent:
    service: str
    event_type: str
    topic: str
    key: str  # masked
    reason: str  # masked
    size_bytes: int | None
    attempts: int | None
    quarantined_at: datetime | None


@dataclass(frozen=True)
class Quarantine:
    counts: dict[str, int | None]  # by service; None: the service did not answer
    events: tuple[HeldEvent, ...]  # oldest first

    @property
    def total(self) -> int:
        return sum(n for n in self.counts.values() if n)

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(service for service, n in self.counts.items() if n is None)


def _text(value: Any) -> str:
    return masked_text(str(value)[:TEXT_LIMIT]) if value not in (None, "") else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def quarantine_view(answers: Mapping[str, Mapping[str, Any] | None]) -> Quarantine:
    """`answers`: each service's answer to GET /v1/outbox/quarantine, None when it gave none."""
    counts: dict[str, int | None] = {}
    events: list[HeldEvent] = []
    for service, answer in answers.items():
        count = _int(answer.get("count")) if isinstance(answer, Mapping) else None
        listed = answer.get("events") if isinstance(answer, Mapping) else None
        if count is None or not isinstance(listed, list):
            counts[service] = None
            continue
        counts[service] = count
        events.extend(
            HeldEvent(
                service=service,
                event_type=_text(e.get("event_type")),
                topic=_text(e.get("topic")),
                key=_text(e.get("key")),
                reason=_text(e.get("reason")),
                size_bytes=_int(e.get("size_bytes")),
                attempts=_int(e.get("attempts")),
                quarantined_at=_instant(e.get("quarantined_at")),
            )
            for e in listed
            if isinstance(e, Mapping)
        )
    events.sort(
        key=lambda e: (e.quarantined_at is None, e.quarantined_at.timestamp() if e.quarantined_at else 0, e.service)
    )
    return Quarantine(counts, tuple(events))


def flows_verdict(health: FlowHealth, held: Quarantine) -> Verdict:
    """The flows headline: anything set aside first, then the worst group, then a quarantine
    nobody could vouch for; green only when every group has caught up and every service
    answered that it holds nothing."""
    if held.total:
        return "quarantined"
    worst = next((g.concern for g in health.groups if g.concern is not None), None)  # the groups come worst first
    if worst is not None:
        return worst
    if held.unknown:
        return "quarantine_unknown"
    return "green"

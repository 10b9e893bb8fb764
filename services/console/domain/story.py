"""A claim told by its events, whichever topics they came from.

The claim's events (ClaimFiled, the outcome of the rules or of an officer, the payout,
the disbursement, each message to the family) are sorted by when they happened and
read as steps: filed → verified → decided → payout recorded → each family message,
each with how long it took. The same events say where the claim stands and which event
should come next, which is what an operator needs to call a claim stuck.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

CLAIM_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "ClaimFiled",
        "ClaimApproved",
        "ClaimRejected",
        "ClaimReferredForReview",
        "PayoutRecorded",
        "DisbursementChanged",
        "NotificationDelivered",
        "NotificationFailed",
        "TransferStatusChanged",
        "TransferReversed",
        "ClaimWithdrawn",
    }
)
OUTCOMES: frozenset[str] = frozenset({"ClaimApproved", "ClaimRejected", "ClaimReferredForReview"})

# Which event a family message is about, by notifications' name for it.
_ABOUT: dict[str, tuple[str, str | None]] = {
    "ClaimFiled": ("ClaimFiled", None),
    "ClaimRejected": ("ClaimRejected", None),
    "PayoutRecorded": ("PayoutRecorded", None),
    "DisbursementPaid": ("DisbursementChanged", "paid"),
}


@dataclass(frozen=True)
class IndexedEvent:
    type: str
    topic: str
    occurred_at: datetime
    producer: str
    correlation_id: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)
    partition: int = 0
    offset: int = 0
    event_id: str = ""
    participant_id: str | None = None


@dataclass(frozen=True)
class Step:
    name: str  # filed, verified, decided, payout_recorded, disbursement_<status>, family_notified, …
    at: datetime
    event: IndexedEvent
    since_previous: timedelta | None  # from the step it follows (for a family message: the event it is about)
    since_filed: timedelta | None
    outcome: str | None = None  # approved, rejected, needs_review for verified/decided


def step_name(event: IndexedEvent) -> tuple[str, str | None]:
    """(step, outcome) of one claim event."""
    summary = event.summary
    if event.type == "ClaimFiled":
        return "filed", None
    if event.type == "ClaimReferredForReview":
        return "verified", "needs_review"
    if event.type in ("ClaimApproved", "ClaimRejected"):
        outcome = "approved" if event.type == "ClaimApproved" else "rejected"
        return ("verified" if summary.get("decided_by") == "rules" else "decided"), outcome
    if event.type == "PayoutRecorded":
        return "payout_recorded", None
    if event.type == "ClaimWithdrawn":
        return "withdrawn", None
    if event.type == "DisbursementChanged":
        return f"disbursement_{summary.get('status')}", None
    if event.type == "TransferStatusChanged":  # each ledger line's transfer, every attempt
        return f"transfer_{summary.get('status')}", None
    if event.type == "TransferReversed":
        return "transfer_reversed", None
    if event.type == "NotificationDelivered":
        return "family_notified", None
    if event.type == "NotificationFailed":
        return "family_not_reached", None
    return event.type, None


def in_order(events: Iterable[IndexedEvent]) -> list[IndexedEvent]:
    """Time order; events of one instant keep the order of their topics' flow."""
    flow = [
        "ClaimFiled",
        "ClaimReferredForReview",
        "ClaimApproved",
        "ClaimRejected",
        "PayoutRecorded",
        "TransferStatusChanged",
        "TransferReversed",
        "DisbursementChanged",
        "NotificationDelivered",
        "NotificationFailed",
    ]
    return sorted(events, key=lambda e: (e.occurred_at, flow.index(e.type) if e.type in flow else len(flow)))


def steps(events: Iterable[IndexedEvent]) -> list[Step]:
    """The claim's steps in time order with their durations. A main step's duration runs
    from the main step before it; a family message's from the event it told them about."""
    ordered = [e for e in in_order(events) if e.type in CLAIM_EVENT_TYPES]
    filed_at = next((e.occurred_at for e in ordered if e.type == "ClaimFiled"), None)
    result: list[Step] = []
    previous_main: datetime | None = None
    latest: dict[tuple[str, str | None], datetime] = {}
    for event in ordered:
        name, outcome = step_name(event)
        if event.type in ("NotificationDelivered", "NotificationFailed"):
            about = _ABOUT.get(str(event.summary.get("about")))
            started = latest.get(about) if about else None
            since = event.occurred_at - started if started else None
        else:
            since = event.occurred_at - previous_main if previous_main else None
            previous_main = event.occurred_at
            latest[(event.type, None)] = event.occurred_at
            if event.type == "DisbursementChanged":
                latest[(event.type, event.summary.get("status"))] = event.occurred_at
        result.append(
            Step(name, event.occurred_at, event, since, event.occurred_at - filed_at if filed_at else None, outcome)
        )
    return result


@dataclass(frozen=True)
class ClaimState:
    claim_id: str
    status: str  # filed, needs_review, approved, rejected, payout_recorded, paid, unknown
    claim_type: str | None
    participant_id: str | None
    filed_at: datetime | None
    last_event_type: str
    last_event_at: datetime
    # The payment clock, as claims announced it in its decision events (claims owns the rule).
    documents_complete_on: date | None
    payment_deadline: date | None
    waiting_for: str | None  # the next event expected; None once the claim is finished

    @property
    def finished(self) -> bool:
        return self.waiting_for is None


WAITING_FOR: dict[str, str | None] = {
    "unknown": "filing",
    "filed": "verification",
    "needs_review": "officer_review",
    "approved": "payout_recording",
    "payout_recorded": "disbursement",
    "rejected": None,
    "withdrawn": None,
    "paid": None,
}


def claim_state(claim_id: str, events: Sequence[IndexedEvent]) -> ClaimState:
    ordered = [e for e in in_order(events) if e.type in CLAIM_EVENT_TYPES]
    if not ordered:
        raise ValueError(f"no claim events for {claim_id}")
    status, claim_type, participant_id, filed_at = "unknown", None, None, None
    complete_on: date | None = None
    deadline: date | None = None
    for event in ordered:
        summary = event.summary
        claim_type = claim_type or summary.get("claim_type")
        participant_id = participant_id or event.participant_id
        if event.type == "ClaimFiled":
            filed_at = filed_at or event.occurred_at
            status = "filed" if status == "unknown" else status
        elif event.type in OUTCOMES and status not in ("payout_recorded", "paid"):
            status = {"ClaimApproved": "approved", "ClaimRejected": "rejected"}.get(event.type, "needs_review")
            if complete_on is None and summary.get("payment_deadline"):
                complete_on = date.fromisoformat(summary["documents_complete_on"])
                deadline = date.fromisoformat(summary["payment_deadline"])
        elif event.type == "ClaimWithdrawn":
            status = "withdrawn"  # closed: no deadline runs, nothing is awaited
        elif event.type == "PayoutRecorded" and status != "paid":
            status = "payout_recorded"
        elif event.type == "DisbursementChanged" and summary.get("status") == "paid":
            status = "paid"
        elif event.type == "DisbursementChanged" and status == "paid":
            status = "payout_recorded"  # a transfer was reversed: the claim waits for its re-issue
    last = ordered[-1]
    return ClaimState(
        claim_id,
        status,
        claim_type,
        participant_id,
        filed_at,
        last.type,
        last.occurred_at,
        complete_on,
        deadline,
        WAITING_FOR.get(status),
    )


def stuck(states: Iterable[ClaimState], now: datetime, older_than: timedelta) -> list[ClaimState]:
    """Unfinished claims whose last event is older than `older_than`, oldest first."""
    return sorted(
        (s for s in states if not s.finished and now - s.last_event_at > older_than), key=lambda s: s.last_event_at
    )

"""What the console's event index keeps of each event.

The index answers "where is this claim, and how long did each step take"; it does not
need, and must not hold, personal data. ClaimFiled's documents map kinds to numbers and
KTP numbers are NIKs, so only the kinds are kept; names, phones and addresses are left
out everywhere. What is kept per type is listed here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Summary = dict[str, Any]


def _reason_codes(payload: Mapping[str, Any]) -> list[str]:
    return [str(r.get("code")) for r in payload.get("reasons") or () if isinstance(r, Mapping)]


def _clock(payload: Mapping[str, Any]) -> Summary:
    """The payment clock as claims announced it (claims owns the rule; the console only shows it)."""
    return {
        "documents_complete_on": payload.get("documents_complete_on"),
        "payment_deadline": payload.get("payment_deadline"),
    }


_SUMMARIES: dict[str, Callable[[Mapping[str, Any]], Summary]] = {
    "ParticipantEnrolled": lambda p: {"source": p.get("source"), "heirs": len(p.get("heirs") or ())},
    "ParticipantDetailsChanged": lambda p: {},
    "HeirsChanged": lambda p: {"heirs": len(p.get("heirs") or ())},
    "ContributionRecorded": lambda p: {"period": p.get("period"), "amount": p.get("amount"), "payer": p.get("payer")},
    "CoverageChanged": lambda p: {"status": p.get("status"), "paid_months": p.get("paid_months")},
    "ClaimFiled": lambda p: {
        "claim_type": p.get("claim_type"),
        "filed_by": p.get("filed_by"),
        "documents": sorted(p.get("documents") or ()),
    },
    "ClaimApproved": lambda p: {
        "claim_type": p.get("claim_type"),
        "decided_by": p.get("decided_by"),
        "reasons": _reason_codes(p),
        **_clock(p),
    },
    "ClaimRejected": lambda p: {
        "claim_type": p.get("claim_type"),
        "decided_by": p.get("decided_by"),
        "reasons": _reason_codes(p),
    },
    "ClaimReferredForReview": lambda p: {"claim_type": p.get("claim_type"), "reasons": _reason_codes(p), **_clock(p)},
    "ClaimWithdrawn": lambda p: {
        "claim_type": p.get("claim_type"),
        "withdrawn_by": p.get("withdrawn_by"),
        "was": p.get("was"),
    },
    "PayoutRecorded": lambda p: {
        "claim_type": p.get("claim_type"),
        "total_cash": p.get("total_cash"),
        "components": len(p.get("components") or ()),
    },
    "DisbursementChanged": lambda p: {"status": p.get("status"), "changed_by": p.get("changed_by")},
    # Payee names and account numbers stay out; the last four digits travel, not even those here.
    "TransferStatusChanged": lambda p: {
        "status": p.get("status"),
        "reason_code": p.get("reason_code"),
        "component": p.get("component"),
        "amount": p.get("amount"),
        "attempt": p.get("attempt"),
        "method": p.get("method"),
        "changed_by": p.get("changed_by"),
    },
    "TransferReversed": lambda p: {
        "component": p.get("component"),
        "amount": p.get("amount"),
        "reversed_by": p.get("reversed_by"),
    },
    "ReceiptCheckRequested": lambda p: {"amount": p.get("amount")},
    "ReceiptReplied": lambda p: {"answer": p.get("answer")},
    "NotificationDelivered": lambda p: {
        "channel": p.get("channel"),
        "heir_id": p.get("heir_id"),
        "about": p.get("about_event"),
        "attempts": p.get("attempts"),
    },
    "NotificationFailed": lambda p: {
        "channel": p.get("channel"),
        "heir_id": p.get("heir_id"),
        "about": p.get("about_event"),
        "attempts": p.get("attempts"),
    },
}


def summarize(event_type: str, payload: Mapping[str, Any]) -> Summary:
    """The safe fields of an event's payload; an event type the console does not know yet
    keeps nothing (it is still indexed: type, time, place)."""
    summary = _SUMMARIES.get(event_type)
    return summary(payload) if summary else {}


def participant_of(payload: Mapping[str, Any]) -> str | None:
    """The participant an event concerns, when its payload names one (claims' events do),
    so a trace by participant finds their claims too."""
    value = payload.get("participant_id")
    return str(value) if value else None

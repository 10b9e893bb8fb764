"""No raw code reaches a page: every page is rendered with fixtures holding every value of
the shared vocabulary (reason codes, event types, statuses, channels, segments, components,
relationships, document kinds), and the text a person reads (text nodes and the attributes
read aloud or shown: title, aria-label, placeholder, alt) holds none of the codes — in
Bahasa Indonesia none at all, in English none of the codes that are not plain words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any, get_args

import pytest

from services.claims.domain.documents import CHECKLIST
from services.console import i18n
from services.console.domain.flow_health import flow_health
from services.console.domain.quarantine import quarantine_view
from services.console.domain.story import IndexedEvent, Step
from services.console.pages import base_context, templates
from services.console.pages.officers import next_step
from shared.contracts import EVENT_TYPES
from shared.contracts import vocabulary as v
from shared.contracts.notifications import Channel

AT = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
GROUP_STATES = ("Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead", "Unknown")
CHANNELS = get_args(Channel)

# Every code that names something on the wire.
CODES: set[str] = {
    *v.REASON_CODES,
    *EVENT_TYPES,
    *v.CLAIM_STATUSES,
    *v.PAYOUT_COMPONENTS,
    *v.RELATIONSHIPS,
    *v.SEGMENTS,
    *CHANNELS,
    *CHECKLIST,
    *v.CLAIM_TYPES,
    *v.DISBURSEMENT_STATUSES,
    *GROUP_STATES,
}
# JKM and JKK are the programmes' own names, read as such in Bahasa Indonesia too.
CODES -= {"JKM", "JKK"}
# In English a status or a channel reads as itself ("approved", "email"): only the codes that
# are not words of the language (CamelCase, snake_case, upper case) must not show.
NOT_WORDS = {code for code in CODES if "_" in code or re.search(r"[a-z][A-Z]", code) or code.isupper()}


class ReadText(HTMLParser):
    """What a person reads or hears of a page."""

    SPOKEN = {"title", "aria-label", "placeholder", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.extend(value for name, value in attrs if name in self.SPOKEN and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def raw_codes_in(html: str, codes: set[str]) -> set[str]:
    reader = ReadText()
    reader.feed(html)
    text = "\n".join(reader.parts)
    # A code counts only standing alone: `claims.filed.v1` (a topic an operator reads) is not `filed`.
    return {code for code in codes if re.search(rf"(?<![\w.\-]){re.escape(code)}(?![\w.\-])", text)}


def event(event_type: str, **summary: Any) -> IndexedEvent:
    return IndexedEvent(
        type=event_type,
        topic="claims.decisions.v1",
        occurred_at=AT,
        producer="claims",
        correlation_id="CL-0a1b2c3d4e5f",
        summary=summary,
    )


def reasons() -> list[dict[str, str]]:
    return [{"code": code, "message": "catatan petugas"} for code in v.REASON_CODES]


def steps() -> list[Step]:
    made = [
        Step(
            name="verified",
            at=AT,
            event=event("ClaimReferredForReview", reasons=list(v.REASON_CODES)),
            since_previous=timedelta(seconds=3),
            since_filed=timedelta(seconds=3),
            outcome="needs_review",
        )
    ]
    for event_type in EVENT_TYPES:
        for channel in CHANNELS:
            made.append(
                Step(
                    name="family_notified",
                    at=AT,
                    since_previous=None,
                    since_filed=None,
                    event=event("NotificationDelivered", channel=channel, heir_id="H-1", about=event_type),
                )
            )
    for component in v.PAYOUT_COMPONENTS:
        made.append(
            Step(
                name="transfer_rejected",
                at=AT,
                since_previous=None,
                since_filed=None,
                event=event("TransferStatusChanged", component=component, amount=1000, reason_code="AC01"),
            )
        )
    return made


def claim(status: str, claim_type: str) -> dict[str, Any]:
    return {
        "claim_id": "CL-0a1b2c3d4e5f",
        "claim_type": claim_type,
        "status": status,
        "participant_id": "P-1",
        "participant_name": "Sitti Rahmawati",
        "incident_date": date(2026, 11, 20),
        "incident_place": "Pasar Terong",
        "filed_by": "rina.petugas",
        "filed_at": AT,
        "reasons": reasons(),
        "missing_documents": list(CHECKLIST),
        "decision_note": "catatan",
        "decided_by": "rahma.supervisor",
        "sampled": True,
        "days_left": 2,
        "sla": {"deadline": date(2026, 12, 2), "days_left": 2},
        "disbursement": {"status": "scheduled", "reference": None},
        "payout": {
            "components": [
                {"component": c, "kind": kind, "payee_name": "Andi Baso", "guardian_name": None, "amount": 1_000}
                for c in v.PAYOUT_COMPONENTS
                for kind in v.PAYOUT_KINDS
            ],
            "total_cash": 1_000,
        },
    }


def participant(segment: str) -> dict[str, Any]:
    return {
        "participant_id": "P-1",
        "full_name": "Sitti Rahmawati",
        "nik_masked": "7371************",
        "kecamatan": "Mariso",
        "segment": segment,
        "member_since": date(2025, 1, 1),
        "programs": ["JKK", "JKM"],
        "monthly_income": 2_000_000,
        "coverage": {
            "status": "active",
            "paid_months": 3,
            "last_paid_period": "2026-11",
            "active_through": date(2026, 12, 31),
            "grace_until": date(2027, 3, 31),
        },
        "heirs": [
            {"full_name": "Andi Baso", "relationship": r, "phone": "+6281342001111", "email": "a@b.id"}
            for r in v.RELATIONSHIPS
        ],
    }


def group(state: str) -> SimpleNamespace:
    return SimpleNamespace(
        group_id=f"claims.g-{state.lower()}", state=state, members=[], total_lag=0, lag=[], unread_topics=[]
    )


def pages() -> dict[str, dict[str, Any]]:
    transfers = [
        {
            "component": c,
            "payee_heir_id": "H-1",
            "payee_name": "Andi Baso",
            "amount": 1000,
            "status": "rejected",
            "reason_code": "AC04",
        }
        for c in v.PAYOUT_COMPONENTS
    ]
    claims = [claim(status, claim_type) for status in v.CLAIM_STATUSES for claim_type in v.CLAIM_TYPES]
    messages = [
        {
            "notification_id": f"N-{e}-{c}",
            "event_type": e,
            "status": "delivered",
            "heir_id": "H-1",
            "channel": c,
            "attempts": 1,
        }
        for e in EVENT_TYPES
        for c in CHANNELS
    ]
    states = {f"CL-{s}": SimpleNamespace(status=s) for s in v.CLAIM_STATUSES}
    return {
        "review.html": {
            "claims": claims,
            "waiting": len(claims),
            "sampled": 1,
            "errors": {},
            "kept": {},
            "chosen": {"type": "", "q": "", "sort": "days_left", "sampled": False},
            "claim_types": v.CLAIM_TYPES,
            "sorts": ("days_left", "filed_at", "participant_name"),
            "decided_elsewhere": {"claim_id": "CL-1", "message": "sudah", "reason": "catatan", "decision": "reject"},
        },
        **{
            f"claim.html#{status}": {
                "claim": claim(status, "JKK_DEATH"),
                "messages": messages,
                "heirs": {"H-1": "Andi Baso"},
                "participant": participant("market_trader"),
                "steps": steps(),
                "live": False,
                "closed": status in ("rejected", "withdrawn"),
                "next_step": next_step(claim(status, "JKK_DEATH"), transfers),
                "transfers": transfers,
                "may_withdraw": True,
                "errors": {},
                "kept": {},
            }
            for status in v.CLAIM_STATUSES
        },
        **{f"participant.html#{segment}": {"p": participant(segment), "claims": claims} for segment in v.SEGMENTS},
        "claims.html": {
            "claims": claims,
            "more": True,
            "page": 2,
            "page_size": 50,
            "failed": None,
            "statuses": v.CLAIM_STATUSES,
            "filters": {"status": None, "filed_by": None, "mine": False},
        },
        **{
            f"claim_print.html#{status}": {"claim": claim(status, "JKK_DEATH"), "participant": participant("other")}
            for status in v.CLAIM_STATUSES
        },
        "participants.html": {
            "q": "Sitti",
            "searched": True,
            "failed": None,
            "found": [participant(s) for s in v.SEGMENTS],
        },
        "stuck.html": {
            "older_than_s": 0,
            "now": AT + timedelta(hours=1),
            "claims": [
                {
                    "claim_id": "CL-1",
                    "claim_type": t,
                    "status": s,
                    "last_event_type": e,
                    "last_event_at": AT,
                    "waiting_for": "officer_review",
                }
                for t in v.CLAIM_TYPES
                for s in v.CLAIM_STATUSES
                for e in EVENT_TYPES
            ],
        },
        "sla.html": {
            "show_all": True,
            "claims": [
                {
                    "claim_id": "CL-1",
                    "claim_type": t,
                    "status": s,
                    "documents_complete_on": date(2026, 11, 20),
                    "days_since_complete": 2,
                    "deadline": date(2026, 11, 25),
                    "days_left": 1,
                    "flag": "due",
                }
                for t in v.CLAIM_TYPES
                for s in v.CLAIM_STATUSES
            ],
        },
        "trace.html": {
            "q": "CL-1",
            "found": SimpleNamespace(
                events=[
                    event(
                        e,
                        claim_type="JKK_DEATH",
                        reasons=list(v.REASON_CODES),
                        channel="whatsapp",
                        about="ClaimFiled",
                        documents=list(CHECKLIST),
                        component="late_charge",
                    )
                    for e in EVENT_TYPES
                ],
                claims={f"CL-{s}": steps() for s in v.CLAIM_STATUSES},
                states=states,
                trace_ids={f"CL-{s}": ["4bf92f3577b34da6a3ce929d0e0e4736"] for s in v.CLAIM_STATUSES},
            ),
            "trace_url": lambda trace_id: f"http://127.0.0.1:16686/trace/{trace_id}",
        },
        "dlq.html": {
            "overview": [],
            "topic": "claims.filed.v1.dlq",
            "status": "waiting",
            "audit": [],
            "cards": [
                {
                    "letter": SimpleNamespace(
                        topic="claims.filed.v1.dlq",
                        kafka_partition=0,
                        kafka_offset=i,
                        status="waiting",
                        event_type=e,
                        original_topic="claims.filed.v1",
                        original_partition=0,
                        original_offset=i,
                        key="CL-1",
                        headers={},
                    ),
                    "copies": [],
                    "pretty": "{}",
                }
                for i, e in enumerate(EVENT_TYPES)
            ],
        },
        "_flows_panel.html": {
            "error": None,
            "total_lag": 0,
            "taken_at": AT,
            "diagram": SimpleNamespace(width=10, height=10, edges=[], nodes=[]),
            "flows": SimpleNamespace(topics=[]),
            "dead_letter_topics": set(),
            "producers": {},
            "sparks": {},
            "groups": [group(s) for s in GROUP_STATES],
            "idle": [],
            "idle_lag": 0,
            "headline": lambda worst: f"{worst.group_id} {worst.concern.replace('_', ' ')}",
            "health": flow_health([group(s) for s in GROUP_STATES], {}),
            "concerns": {h.group_id: h for h in flow_health([group(s) for s in GROUP_STATES], {}).groups},
            "verdict": "quarantined",
            "quarantine": quarantine_view(
                {
                    "claims": {
                        "count": len(EVENT_TYPES),
                        "events": [
                            {
                                "event_type": e,
                                "topic": "claims.filed.v1",
                                "key": "CL-1",
                                "reason": "refused",
                                "size_bytes": 1,
                                "quarantined_at": AT.isoformat(),
                            }
                            for e in EVENT_TYPES
                        ],
                    },
                    "grievances": None,
                }
            ),
        },
    }


def rendered(name: str, context: dict[str, Any], lang: str, role: str) -> str:
    session = SimpleNamespace(actor=SimpleNamespace(role=role, subject="rahma.supervisor"), csrf="x")
    template = templates.env.get_template(name.split("#")[0])
    return template.render(base_context(lang, session, 5, "/review", None) | context)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", list(pages()))
def test_no_raw_code_reaches_a_page_in_bahasa_indonesia(name):
    html = rendered(name, pages()[name], "id", "supervisor")
    assert raw_codes_in(html, CODES) == set()


@pytest.mark.parametrize("name", list(pages()))
def test_no_code_that_is_not_a_word_reaches_a_page_in_english(name):
    html = rendered(name, pages()[name], "en", "supervisor")
    assert raw_codes_in(html, NOT_WORDS) == set()


def test_the_check_would_see_a_raw_code():
    # The fixtures do reach the page: drop one word from the table and its code shows.
    words = i18n.TEXT.pop("reason_DEATH_SOON_AFTER_ENROLMENT")
    try:
        html = rendered("review.html", pages()["review.html"], "id", "supervisor")
        assert raw_codes_in(html, CODES) == {"DEATH_SOON_AFTER_ENROLMENT"}
    finally:
        i18n.TEXT["reason_DEATH_SOON_AFTER_ENROLMENT"] = words

"""Claims tests' ground: a participant enrolled and paid up through enrollment's API, known to
claims' read model; the documents a complete claim holds; a claim's events read off Kafka."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from services.enrollment.domain import Period, contribution_due
from shared.clock import today  # Makassar's day, read when a test runs (not when its module is imported)
from shared.envelope import Envelope, read_envelope
from tests.support.kafka_tools import read_all, wait_until
from tests.support.services import participant_form

# Contacts no other test uses: the notifications service of a later test in the session reads
# these claims' events too, and tests that count one heir's messages must not see them.
SPOUSE = {"full_name": "Muh. Ridwan", "relationship": "spouse", "phone": "081299870001"}
CHILD = {"full_name": "Aisyah Putri", "relationship": "child", "email": "aisyah.putri@example.id", "language": "en"}

REPORTER = {"name": "Muh. Ridwan", "phone": "+6281299870001", "organisation": "suami"}

# Permenaker 5/2021 checklists, spelled out (services/claims/domain/documents.py decides
# which are required; these are what the family hands in). KTP and KK numbers have 16 digits.
JKM_DEATH_DOCUMENTS = {
    "participant_card": "KPJ-26-0001",
    "ktp_deceased": "7371034506920001",
    "ktp_heir": "7371031203900002",
    "family_card": "7371030101100003",
    "death_certificate": "AKT-474-2026-11",
    "heir_statement": "SKAW-12/2026",
    "bank_account": "BRI 0123-01-000123-50-1",
}
MARRIAGE_BOOK = {"marriage_book": "KUA-0042/2012"}  # when the heir paid is the spouse
NPWP = {"npwp": "09.254.294.3-407.000"}  # when the cash payout exceeds Rp 50,000,000
JKK_DOCUMENTS = {
    "participant_card": "KPJ-26-0002",
    "ktp": "7371034506920001",
    "accident_chronology": "",
    "witness_ktp_1": "7371030101900003",
    "witness_ktp_2": "7371030202910004",
    "medical_report": "",
    "bank_account": "BRI 0123-01-000123-50-1",
}
POLICE_REPORT = {"police_report": "LP/B/412/XI/2026/Polrestabes Makassar"}


def member_since() -> date:
    """200 days before today: past JKM's short-membership window, so a death pays the full Rp 42,000,000."""
    return today() - timedelta(days=200)


def unique_name(name: str) -> str:
    """All tests share one database: a suffix keeps one test's search from finding another's."""
    return f"{name} {uuid.uuid4().hex[:8]}"


async def enrol(
    enrollment: httpx.AsyncClient,
    *,
    full_name: str,
    member_since: date,
    heirs: list[dict],
    monthly_income: int = 2_000_000,
) -> str:
    form = participant_form(
        full_name=full_name, member_since=member_since.isoformat(), heirs=heirs, monthly_income=monthly_income
    )
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 201, answer.text
    return answer.json()["participant_id"]


async def pay(
    enrollment: httpx.AsyncClient,
    participant_id: str,
    period: Period,
    paid_at: date,
    monthly_income: int = 2_000_000,
    payer: str = "self",
) -> dict[str, Any]:
    """One month's contribution, of the amount the rules ask for that month (the PP 50/2025
    discount depends on it)."""
    due = contribution_due(monthly_income, ["JKK", "JKM"], "market_trader", payer, period)
    answer = await enrollment.post(
        f"/v1/participants/{participant_id}/contributions",
        json={"period": str(period), "amount": due.total, "payer": payer, "paid_at": paid_at.isoformat()},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def claims_knows(
    claims: httpx.AsyncClient, participant_id: str, full_name: str, coverage_status: str, timeout: float = 30
) -> None:
    """Waits until claims' read model holds the participant with this coverage status."""

    async def seen() -> bool:
        found = await claims.get("/v1/participants", params={"q": full_name})
        return any(
            p["participant_id"] == participant_id and p["coverage_status"] == coverage_status for p in found.json()
        )

    await wait_until(seen, timeout, f"claims' read model to see {participant_id} {coverage_status}")


async def covered_participant(
    enrollment: httpx.AsyncClient,
    claims: httpx.AsyncClient,
    today: date,
    *,
    member_since: date,
    heirs: list[dict],
    monthly_income: int = 2_000_000,
    name: str = "Sitti Rahmawati",
) -> str:
    """Enrolled, this month paid today (protected from today to the end of M+2), and known
    to claims as active."""
    full_name = unique_name(name)
    participant_id = await enrol(
        enrollment, full_name=full_name, member_since=member_since, heirs=heirs, monthly_income=monthly_income
    )
    paid = await pay(enrollment, participant_id, Period.of(today), today, monthly_income)
    assert paid["coverage"]["status"] == "active"
    await claims_knows(claims, participant_id, full_name, "active")
    return participant_id


def claim_form(
    participant_id: str, claim_type: str, incident_date: date, documents: dict[str, str], **extra: Any
) -> dict[str, Any]:
    return {
        "participant_id": participant_id,
        "claim_type": claim_type,
        "incident_date": incident_date.isoformat(),
        "incident_place": "Pasar Terong, Bontoala",
        "reporter": REPORTER,
        "documents": documents,
        "cause": "heart attack at home" if claim_type == "JKM" else "fell from the stall's roof while fixing it",
        **extra,
    }


async def claim_of(claims: httpx.AsyncClient, claim_id: str) -> dict[str, Any]:
    answer = await claims.get(f"/v1/claims/{claim_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def wait_for_status(claims: httpx.AsyncClient, claim_id: str, status: str, timeout: float = 30) -> dict:
    async def reached() -> bool:
        return (await claim_of(claims, claim_id))["status"] == status

    await wait_until(reached, timeout, f"claim {claim_id} to be {status}")
    return await claim_of(claims, claim_id)


async def events_about(bootstrap: str, topic: str, claim_id: str) -> list[Envelope]:
    """The events now on `topic` keyed by this claim, in order."""
    return [read_envelope(r.value) for r in await read_all(bootstrap, topic) if r.key == claim_id.encode()]


async def wait_for_event(
    bootstrap: str, topic: str, claim_id: str, event_type: str, timeout: float = 30
) -> list[Envelope]:
    """Waits until at least one `event_type` about the claim is on the topic; returns all of that type."""
    found: list[Envelope] = []

    async def arrived() -> bool:
        nonlocal found
        found = [e for e in await events_about(bootstrap, topic, claim_id) if e.type == event_type]
        return bool(found)

    await wait_until(arrived, timeout, f"{event_type} about {claim_id} on {topic}")
    return found


def ledger_lines(claim: dict[str, Any]) -> list[tuple[str, str | None, int, str]]:
    """(component, payee name, amount, kind) of each ledger line, sorted."""
    return sorted((x["component"], x["payee_name"], x["amount"], x["kind"]) for x in claim["payout"]["components"])

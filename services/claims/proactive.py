"""Claims' proactive death claims (issue 19; the rules: domain/proactive.py; docs/outreach.md):
open one when the civil registry reported a covered participant's death, remind the family once,
list the claims for the kelurahan's home visit, and complete the same claim when the family comes.

DeathReported is applied by the claims.participants consumer, in the order of the participant's
events (one key, one partition), so the coverage it is judged on is the coverage enrollment had
announced before the death was reported.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
from prometheus_client import Counter

from services.claims import repository as repo
from services.claims.domain import claim as c
from services.claims.domain.proactive import (
    OPENED,
    home_visit_due,
    outcome_of_reported_death,
    proactive_claim,
    reminder_due,
    working_days_between,
)
from services.claims.handlers import ClaimNotFound, claim_filed, emit, filing_from
from shared.auth import Actor
from shared.consuming import NotYet
from shared.contracts import claims as events
from shared.contracts.enrollment import DeathReported
from shared.db import record_audit
from shared.envelope import Envelope
from shared.errors import FieldError, RuleViolation

REPORTED_DEATHS = Counter(
    "jaring_claims_reported_deaths",
    "Deaths the civil registry reported for participants, by what claims did",
    ["outcome"],
)


def make_death_reported_handler(today_fn, office: str):
    async def on_death_reported(conn: asyncpg.Connection, env: Envelope, event: DeathReported) -> None:
        participant = await repo.participant_view(conn, event.participant_id)
        if participant is None:
            raise NotYet(f"participant {event.participant_id} not in the claims read model yet")
        fingerprint = c.incident_fingerprint(event.participant_id, c.ClaimType.JKM, event.date_of_death)
        standing = await repo.standing_claim_for(conn, fingerprint)
        outcome = outcome_of_reported_death(participant, event.date_of_death, standing is not None)
        claim_id = f"CL-{uuid.uuid4().hex[:12]}" if outcome == OPENED else standing
        today = today_fn()
        if not await repo.note_reported_death(
            conn, event.registry_event_id, event.participant_id, event.date_of_death, outcome, claim_id, today
        ):
            return  # this report was applied before
        REPORTED_DEATHS.labels(outcome).inc()
        if outcome != OPENED:
            return  # nothing is sent: counted in reported_deaths
        proposal = proactive_claim(participant, event.date_of_death, event.place)
        await repo.insert_proactive_claim(
            conn, claim_id, proposal.filing, today, proposal.expected_amount, list(proposal.documents)
        )
        await repo.add_step(
            conn,
            claim_id,
            "opened_from_registry",
            {"registry_event_id": event.registry_event_id, "expected_amount": proposal.expected_amount},
        )
        await emit(
            conn,
            events.ProactiveClaimOpened(
                claim_id=claim_id,
                participant_id=event.participant_id,
                claim_type="JKM",
                date_of_death=event.date_of_death,
                place=proposal.filing.incident_place,
                expected_amount=proposal.expected_amount,
                documents=list(proposal.documents),
                office=office,
            ),
            claim_id,
            causation_id=str(env.event_id),
        )

    return on_death_reported


async def remind_families(pool: asyncpg.Pool, today: date, office: str) -> int:
    """Reminds once the families of claims that waited REMINDER_AFTER_WORKING_DAYS working days."""
    reminded = 0
    async with pool.acquire() as conn:
        waiting = await repo.awaiting_family(conn)
    for row in waiting:
        if not reminder_due(row["filed_on"], row["family_reminded_on"], today):
            continue
        async with pool.acquire() as conn, conn.transaction():
            if not await repo.mark_family_reminded(conn, row["claim_id"], today):
                continue  # another instance was faster, or the family came meanwhile
            await repo.add_step(conn, row["claim_id"], "family_reminded", {})
            await emit(
                conn,
                events.ProactiveClaimReminderDue(
                    claim_id=row["claim_id"],
                    participant_id=row["participant_id"],
                    claim_type=row["claim_type"],
                    opened_on=row["filed_on"],
                    working_days=working_days_between(row["filed_on"], today),
                    expected_amount=row["expected_amount"],
                    documents=list(row["documents_to_bring"]),
                    office=office,
                ),
                row["claim_id"],
            )
            reminded += 1
    return reminded


def queue_view(row: dict[str, Any], today: date) -> dict[str, Any]:
    return {
        "claim_id": row["claim_id"],
        "participant_id": row["participant_id"],
        "full_name": row["full_name"],
        "masked_nik": row["masked_nik"],
        "claim_type": row["claim_type"],
        "date_of_death": row["incident_date"],
        "place": row["incident_place"],
        "opened_on": row["filed_on"],
        "expected_amount": row["expected_amount"],
        "documents_to_bring": row["documents_to_bring"],
        "family_reminded_on": row["family_reminded_on"],
        "working_days_waiting": working_days_between(row["filed_on"], today),
        "home_visit_due": home_visit_due(row["family_reminded_on"], today),
    }


async def complete_claim(
    conn: asyncpg.Connection, claim_id: str, body: dict[str, Any], actor: Actor, today: date
) -> None:
    """The family came: the officer completes the proactive claim with their filing, and it goes
    through verification like any filed claim. The participant and the day of death stay the
    registry's; the type may be corrected to JKK_DEATH here (a death from a work accident)."""
    row = await repo.load_claim(conn, claim_id, for_update=True)
    if row is None:
        raise ClaimNotFound(claim_id)
    if row["status"] != "awaiting_family":
        raise RuleViolation(
            [
                FieldError(
                    ("claim_id",),
                    "claim_not_awaiting_family",
                    f"claim_not_awaiting_family: this claim is {row['status']}; only a claim "
                    "waiting for the family is completed",
                )
            ]
        )
    claim_type = body.get("claim_type") or row["claim_type"]
    if claim_type not in c.DEATH_TYPES:
        raise RuleViolation(
            [
                FieldError(
                    ("claim_type",),
                    "claim_type_not_death",
                    "claim_type_not_death: a proactive claim is JKM or JKK_DEATH",
                )
            ]
        )
    filing = filing_from(
        {
            **body,
            "participant_id": row["participant_id"],
            "claim_type": claim_type,
            "incident_date": row["incident_date"],
            "incident_place": body.get("incident_place") or row["incident_place"],
        }
    )
    c.validate_filing(filing, max(today, row["incident_date"]), True)
    await repo.complete_proactive_claim(conn, claim_id, filing, actor.subject, today)
    await repo.add_step(conn, claim_id, "completed_by_family", {"by": actor.subject})
    await emit(conn, claim_filed(claim_id, filing, actor.subject), claim_id)
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="claim.complete_proactive",
        subject_id=claim_id,
        details={"claim_type": str(claim_type)},
    )

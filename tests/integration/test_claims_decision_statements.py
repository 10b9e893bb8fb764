"""A supervisor's decision in few statements (issue 17), on real PostgreSQL through the handler: the
claim read locked, the participant read for an approval's checks, then one statement writing the
decision with its step, audit row and event (the outbox row). When it was decided is read only for
the refusal of a second decision."""

from __future__ import annotations

import json

import pytest

from services.claims import handlers
from services.claims.domain.decision import AlreadyDecided
from shared.auth import Actor
from tests.integration.test_claims_filing_statements import counted, death_form, file
from tests.integration.test_claims_handled_as_sets import TODAY, participant
from tests.support.schemas import migrated_pool

pytestmark = pytest.mark.integration

SUPERVISOR = Actor("supervisor-dewi", "supervisor")


@pytest.fixture
async def pool(database_url, unique):
    async with migrated_pool(database_url, "claims", f"claims_decision_{unique}") as pool:
        yield pool


async def claim_for_review(conn) -> str:
    await participant(conn, "P1", covered=True)
    claim_id, _ = await file(conn, death_form("P1"))
    await conn.execute("UPDATE claims SET status = 'needs_review' WHERE claim_id = $1", claim_id)
    await conn.execute("DELETE FROM outbox")
    return claim_id


@pytest.mark.parametrize(
    ("decision", "statements_run", "event_type"),
    [("approve", 3, "ClaimApproved"), ("reject", 2, "ClaimRejected")],
)
async def test_a_decision_is_written_with_its_step_audit_row_and_event_in_one_statement(
    pool,
    decision,
    statements_run,
    event_type,
):
    async with pool.acquire() as conn:
        claim_id = await claim_for_review(conn)
        async with conn.transaction(), counted(conn) as statements:
            status = await handlers.decide_claim(conn, claim_id, decision, "checked with the family", SUPERVISOR, TODAY)
        assert len(statements) == statements_run, statements
        assert statements[0].startswith("SELECT * FROM claims WHERE claim_id = $1 FOR UPDATE")
        assert statements[-1].startswith("WITH decided AS (UPDATE claims")
        assert status == {"approve": "approved", "reject": "rejected"}[decision]
        row = await conn.fetchrow("SELECT status, decided_by, decision_note FROM claims WHERE claim_id = $1", claim_id)
        assert tuple(row) == (status, "supervisor-dewi", "checked with the family")
        step = await conn.fetchrow("SELECT detail FROM claim_steps WHERE claim_id = $1 AND step = 'decided'", claim_id)
        assert step["detail"] == {"by": "supervisor-dewi", "decision": decision, "reason": "checked with the family"}
        audit = await conn.fetch(
            "SELECT actor, role, action, details FROM audit_log WHERE subject_id = $1 AND action LIKE 'claim.%' "
            "AND action <> 'claim.file'",
            claim_id,
        )
        assert [tuple(a) for a in audit] == [
            ("supervisor-dewi", "supervisor", f"claim.{decision}", {"reason": "checked with the family"})
        ]
        queued = await conn.fetch("SELECT key, event_type, body FROM outbox")
        assert [(q["key"], q["event_type"]) for q in queued] == [(claim_id, event_type)]
        assert json.loads(queued[0]["body"])["payload"]["decided_by"] == "supervisor-dewi"


async def test_a_second_decision_is_refused_naming_who_decided_and_when(pool):
    async with pool.acquire() as conn:
        claim_id = await claim_for_review(conn)
        async with conn.transaction():
            await handlers.decide_claim(conn, claim_id, "reject", "no papers", SUPERVISOR, TODAY)
        with pytest.raises(AlreadyDecided) as refused:
            async with conn.transaction():
                await handlers.decide_claim(
                    conn, claim_id, "approve", "papers came", Actor("supervisor-eko", "supervisor"), TODAY
                )
        assert (refused.value.status, refused.value.decided_by) == ("rejected", "supervisor-dewi")
        assert refused.value.decided_at is not None
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1

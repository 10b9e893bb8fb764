"""Grievances applies a poll's filings, decisions and payouts as sets (services/grievances/handlers.py),
on real PostgreSQL through the service's own consumer: a few statements for the whole poll, and the
read model each claim would have had one event at a time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from services.grievances.app import consumers
from services.grievances.settings import GrievancesSettings
from shared.consuming import ConsumerRunner
from shared.contracts.claims import (
    ClaimApproved,
    ClaimReferredForReview,
    ClaimRejected,
    DisbursementChanged,
    PayoutComponent,
    PayoutRecorded,
    ProactiveClaimOpened,
    Reason,
)
from shared.envelope import new_envelope
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, PAYOUTS
from tests.support.family_members import claim_filed
from tests.support.kafka_tools import record_carrying
from tests.support.schemas import migrated_pool
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration

T0 = 1_796_000_000_000  # ms: the producers' timestamps, one second apart per step


def envelope(payload, claim_id: str):
    return new_envelope(payload, correlation_id=claim_id, producer="test")


class OneConnection:
    """A pool of one connection, so that what the runner runs can be counted on it."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self.conn


def share(component: str, amount: int, heir: str | None, kind: str = "cash") -> PayoutComponent:
    return PayoutComponent(component=component, amount=amount, kind=kind, payee_heir_id=heir, payee_name=None)


async def test_a_poll_of_three_claims_is_applied_in_a_few_statements_with_each_claims_own_outcome(database_url, unique):
    async with migrated_pool(database_url, "grievances", f"griev_sets_{unique}") as pool:
        consumer = next(c for c in consumers(GrievancesSettings()) if c.name == "grievances.claims")
        runner = ConsumerRunner(consumer, pool, producer=None)
        # CL-2's participant, enrolled with a widow by phone (an earlier poll of grievances.participants).
        await pool.execute("INSERT INTO participants (participant_id) VALUES ('P-2')")
        await pool.execute(
            "INSERT INTO heirs (heir_id, participant_id, full_name, precedence, phone) VALUES "
            "('H-W', 'P-2', 'Wati', 1, '+6281299870002')"
        )
        # CL-3 was opened by Jaring from the civil registry, waiting for the family (an earlier poll).
        opened = ProactiveClaimOpened(
            claim_id="CL-3",
            participant_id="P-3",
            claim_type="JKM",
            date_of_death=date(2026, 11, 20),
            place="Makassar",
            expected_amount=42_000_000,
            documents=["death_certificate"],
            office="Kantor Cabang Makassar",
        )
        await runner.handle(record_carrying(CLAIMS_FILED.name, 0, envelope(opened, "CL-3"), "CL-3", T0))
        assert await pool.fetchval("SELECT status FROM claims WHERE claim_id = 'CL-3'") == "awaiting_family"

        lapsed = [Reason(code="NOT_COVERED_ON_INCIDENT_DATE", message="not covered on the incident date")]
        incomplete = [Reason(code="DOCUMENTS_INCOMPLETE", message="the death certificate is missing")]
        decisions = [
            ClaimApproved(claim_id="CL-1", participant_id="P-1", claim_type="JKM", decided_by="rules",
                          payment_deadline=date(2026, 12, 3)),
            ClaimReferredForReview(claim_id="CL-2", participant_id="P-2", claim_type="JKM", reasons=incomplete,
                                   missing_documents=["death_certificate"]),
            ClaimRejected(claim_id="CL-3", participant_id="P-3", claim_type="JKM", decided_by="rules",
                          reasons=lapsed),
        ]  # fmt: skip
        payout = PayoutRecorded(
            claim_id="CL-1",
            participant_id="P-1",
            claim_type="JKM",
            components=[
                share("death_benefit", 20_000_000, "H-A"),
                share("funeral", 10_000_000, "H-A"),
                share("periodic_benefit", 12_000_000, "H-B"),
                share("scholarship", 5_000_000, "H-B", kind="entitlement"),
            ],
            total_cash=42_000_000,
        )
        changed = DisbursementChanged(claim_id="CL-1", participant_id="P-1", status="scheduled", changed_by="rules")
        # One poll, partition by partition as aiokafka gives it: payouts first, then decisions, then filings.
        poll = [
            record_carrying(PAYOUTS.name, 0, envelope(payout, "CL-1"), "CL-1", T0 + 3000),
            record_carrying(PAYOUTS.name, 1, envelope(changed, "CL-1"), "CL-1", T0 + 4000),
            *(
                record_carrying(CLAIM_DECISIONS.name, n, envelope(d, d.claim_id), d.claim_id, T0 + 2000)
                for n, d in enumerate(decisions)
            ),
            *(
                record_carrying(CLAIMS_FILED.name, n, envelope(claim_filed(c, p, "JKM"), c), c, T0 + 1000)
                for n, (c, p) in enumerate([("CL-1", "P-1"), ("CL-2", "P-2"), ("CL-3", "P-3")], start=1)
            ),
        ]
        async with pool.acquire() as conn:
            runner = ConsumerRunner(consumer, OneConnection(conn), producer=None)
            with statements_run(conn) as statements:
                await runner.handle_batch(poll)

        # One transaction: BEGIN, the inbox, the three filings, CL-1's and CL-3's decisions, CL-2's
        # referral asking for a document (its status, the open request read, the request saved, the
        # claim and its heirs read for the notice, the notice queued: 7 with the check that the claim
        # and its participant are known), CL-1's payout, its disbursement (a run of its own: the same claim), COMMIT.
        assert len(statements) == 1 + 1 + 1 + 1 + 7 + 1 + 1 + 1, statements
        assert consumer.stats == {"applied": 9}  # the opening, then the poll's eight, nothing parked
        rows = await pool.fetch(
            "SELECT claim_id, status, reporter_phone, missing_documents, payment_deadline, disbursement_status "
            "FROM claims ORDER BY claim_id"
        )
        assert [tuple(r) for r in rows] == [
            ("CL-1", "payout_recorded", "+6281299870001", [], date(2026, 12, 3), "scheduled"),
            ("CL-2", "needs_review", "+6281299870001", ["death_certificate"], None, None),
            ("CL-3", "rejected", "+6281299870001", [], None, None),  # the family came, then the rules said no
        ]
        shares = await pool.fetch("SELECT claim_id, heir_id, amount FROM payout_shares ORDER BY heir_id")
        # The widow's two cash lines, 20,000,000 + 10,000,000; the child's periodic benefit; the
        # scholarship is an entitlement, not cash.
        assert [tuple(r) for r in shares] == [("CL-1", "H-A", 30_000_000), ("CL-1", "H-B", 12_000_000)]
        # CL-2's family is asked for the death certificate, by the heir's phone and the reporter's.
        requests = await pool.fetch("SELECT claim_id, missing, open FROM document_requests")
        assert [tuple(r) for r in requests] == [("CL-2", ["death_certificate"], True)]
        notices = await pool.fetch("SELECT event_type, key FROM outbox ORDER BY id")
        assert [tuple(r) for r in notices] == [("MissingDocumentsNoticed", "CL-2")]

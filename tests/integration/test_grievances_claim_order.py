"""Grievances reads a claim's three topics in one group (services/grievances/app.py), on real
PostgreSQL through the service's own consumer: a decision read before its filing waits for it, and
the filing, read later from another topic, goes ahead of it instead of queueing behind it; in one
poll, the filing is applied first by its time, and nothing waits; a decision whose filing a poll
does not hold waits alone, the poll's other claims applied together. A referral asking the family for
documents, read before the participant's enrolment (another group's topic), waits for the heirs."""

from __future__ import annotations

import pytest

from services.grievances.app import consumers
from services.grievances.settings import GrievancesSettings
from shared.consuming import ConsumerRunner
from shared.contracts.claims import ClaimApproved, ClaimReferredForReview, Reason
from shared.envelope import new_envelope, read_envelope
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, PARTICIPANTS
from tests.support.family_members import SON, WIDOW, claim_filed, enrolment
from tests.support.kafka_tools import keys_handled_alone, record_carrying
from tests.support.schemas import migrated_pool

pytestmark = pytest.mark.integration


async def test_a_decision_read_before_its_filing_waits_for_it_and_the_filing_goes_ahead(database_url, unique):
    async with migrated_pool(database_url, "grievances", f"griev_order_{unique}") as pool:
        consumer = next(c for c in consumers(GrievancesSettings()) if c.name == "grievances.claims")
        runner = ConsumerRunner(consumer, pool, producer=None)
        approved = ClaimApproved(claim_id="CLM-1", participant_id="P-1", claim_type="JKK", decided_by="rules")
        decision = new_envelope(approved, correlation_id="CLM-1", producer="test")
        filing = new_envelope(claim_filed("CLM-1", "P-1", "JKK"), correlation_id="CLM-1", producer="test")

        assert await runner.handle(record_carrying(CLAIM_DECISIONS.name, 5, decision, "CLM-1")) == "parked"
        assert await pool.fetchval("SELECT waiting_for FROM waiting") == ["ClaimFiled", "ProactiveClaimOpened"]
        assert await runner.handle(record_carrying(CLAIMS_FILED.name, 2, filing, "CLM-1")) == "applied"

        assert await pool.fetchval("SELECT count(*) FROM waiting") == 0
        assert await pool.fetchval("SELECT status FROM claims WHERE claim_id = 'CLM-1'") == "approved"
        assert consumer.stats == {"parked": 1, "applied": 2}


async def test_a_poll_with_the_decision_before_its_filing_applies_the_filing_first_and_parks_nothing(
    database_url, unique
):
    async with migrated_pool(database_url, "grievances", f"griev_poll_{unique}") as pool:
        consumer = next(c for c in consumers(GrievancesSettings()) if c.name == "grievances.claims")
        runner = ConsumerRunner(consumer, pool, producer=None)

        def poll(claim_id: str) -> list:
            """A poll as aiokafka gives it, partition by partition: the decisions partition first, though
            the filing was produced a second before the decision."""
            approved = ClaimApproved(claim_id=claim_id, participant_id="P-1", claim_type="JKK", decided_by="rules")
            decision = new_envelope(approved, correlation_id=claim_id, producer="test")
            filing = new_envelope(claim_filed(claim_id, "P-1", "JKK"), correlation_id=claim_id, producer="test")
            return [
                record_carrying(CLAIM_DECISIONS.name, 5, decision, claim_id, timestamp=1_796_000_001_000),
                record_carrying(CLAIMS_FILED.name, 2, filing, claim_id, timestamp=1_796_000_000_000),
            ]

        await runner.handle_batch(poll("CLM-1"))
        assert consumer.stats == {"applied": 2}
        assert await pool.fetchval("SELECT count(*) FROM waiting") == 0
        assert await pool.fetchval("SELECT status FROM claims WHERE claim_id = 'CLM-1'") == "approved"

        # The same poll applied in the order it came: the decision waits for its filing.
        await runner.apply_batch(poll("CLM-2"))
        assert consumer.stats["parked"] == 1


async def test_a_poll_with_a_decision_read_before_its_filing_holds_back_only_that_claim(database_url, unique):
    async with migrated_pool(database_url, "grievances", f"griev_held_{unique}") as pool:
        consumer = next(c for c in consumers(GrievancesSettings()) if c.name == "grievances.claims")
        runner = ConsumerRunner(consumer, pool, producer=None)
        alone = keys_handled_alone(runner)

        def approval(claim_id: str):
            approved = ClaimApproved(claim_id=claim_id, participant_id="P-1", claim_type="JKK", decided_by="rules")
            return new_envelope(approved, correlation_id=claim_id, producer="test")

        def filing(claim_id: str):
            return new_envelope(claim_filed(claim_id, "P-1", "JKK"), correlation_id=claim_id, producer="test")

        # Under load a poll can hold decisions whose filings are in the filed topic's next fetch: here
        # CLM-12's. The poll's other claims are applied together; CLM-12's decision waits alone.
        await runner.handle_batch(
            [
                record_carrying(CLAIMS_FILED.name, 0, filing("CLM-10"), "CLM-10", timestamp=1_796_000_000_000),
                record_carrying(CLAIMS_FILED.name, 1, filing("CLM-11"), "CLM-11", timestamp=1_796_000_000_100),
                record_carrying(CLAIM_DECISIONS.name, 0, approval("CLM-10"), "CLM-10", timestamp=1_796_000_001_000),
                record_carrying(CLAIM_DECISIONS.name, 1, approval("CLM-12"), "CLM-12", timestamp=1_796_000_001_100),
                record_carrying(CLAIM_DECISIONS.name, 2, approval("CLM-11"), "CLM-11", timestamp=1_796_000_001_200),
            ]
        )
        assert alone == ["CLM-12"]
        assert consumer.stats == {"applied": 4, "parked": 1}
        assert await pool.fetchval("SELECT array_agg(key) FROM waiting") == ["CLM-12"]
        rows = await pool.fetch("SELECT claim_id, status FROM claims ORDER BY claim_id")
        assert [tuple(r) for r in rows] == [("CLM-10", "approved"), ("CLM-11", "approved")]

        # Its filing comes in the next poll: applied ahead of the parked decision, which follows it.
        await runner.handle_batch([record_carrying(CLAIMS_FILED.name, 2, filing("CLM-12"), "CLM-12")])
        assert await pool.fetchval("SELECT status FROM claims WHERE claim_id = 'CLM-12'") == "approved"
        assert await pool.fetchval("SELECT count(*) FROM waiting") == 0
        assert consumer.stats == {"applied": 6, "parked": 1}


def referral(claim_id: str, participant_id: str) -> ClaimReferredForReview:
    incomplete = [Reason(code="DOCUMENTS_INCOMPLETE", message="the marriage book is missing")]
    return ClaimReferredForReview(
        claim_id=claim_id,
        participant_id=participant_id,
        claim_type="JKM",
        reasons=incomplete,
        missing_documents=["marriage_book"],
    )


async def told(pool) -> list[tuple[str, str | None, str | None]]:
    """Who the outbox's MissingDocumentsNoticed tell: (heir id or "reporter", phone, email)."""
    rows = await pool.fetch("SELECT body FROM outbox WHERE event_type = 'MissingDocumentsNoticed' ORDER BY id")
    return [
        (r["heir_id"], r["phone"], r["email"]) for row in rows for r in read_envelope(row["body"]).payload["recipients"]
    ]


async def test_a_referral_read_before_the_participants_enrolment_waits_for_the_heirs_and_then_tells_them(
    database_url, unique
):
    async with migrated_pool(database_url, "grievances", f"griev_heirs_{unique}") as pool:
        groups = {c.name: c for c in consumers(GrievancesSettings())}
        claims = ConsumerRunner(groups["grievances.claims"], pool, producer=None)
        participants = ConsumerRunner(groups["grievances.participants"], pool, producer=None)

        filing = new_envelope(claim_filed("CLM-7", "P-7", "JKM"), correlation_id="CLM-7", producer="test")
        assert await claims.handle(record_carrying(CLAIMS_FILED.name, 0, filing, "CLM-7")) == "applied"
        referred = new_envelope(referral("CLM-7", "P-7"), correlation_id="CLM-7", producer="test")
        # The enrolment has not been read: nobody is told yet (before, the reporter alone was, for good).
        assert await claims.handle(record_carrying(CLAIM_DECISIONS.name, 1, referred, "CLM-7")) == "parked"
        assert await told(pool) == []
        assert "participant P-7" in await pool.fetchval("SELECT reason FROM waiting")

        enrolled = new_envelope(enrolment("P-7", [WIDOW, SON]), correlation_id="P-7", producer="test")
        assert await participants.handle(record_carrying(PARTICIPANTS.name, 0, enrolled, "P-7")) == "applied"
        assert await claims.drain("CLM-7") == 1  # what the periodic retry does for a parked key

        # The widow by phone, her son by email (both first rank), and the market head who reported it.
        assert sorted(await told(pool)) == [
            ("H-1", "+6281300000001", None),
            ("H-2", None, "rudi@example.id"),
            ("reporter", "+6281299870001", None),
        ]
        assert await pool.fetchval("SELECT count(*) FROM waiting") == 0
        assert await pool.fetchval("SELECT status FROM claims WHERE claim_id = 'CLM-7'") == "needs_review"


async def test_a_referral_for_a_participant_enrolled_without_heirs_tells_the_reporter_at_once(database_url, unique):
    async with migrated_pool(database_url, "grievances", f"griev_noheirs_{unique}") as pool:
        groups = {c.name: c for c in consumers(GrievancesSettings())}
        claims = ConsumerRunner(groups["grievances.claims"], pool, producer=None)
        participants = ConsumerRunner(groups["grievances.participants"], pool, producer=None)

        enrolled = new_envelope(enrolment("P-8", []), correlation_id="P-8", producer="test")
        assert await participants.handle(record_carrying(PARTICIPANTS.name, 0, enrolled, "P-8")) == "applied"
        filing = new_envelope(claim_filed("CLM-8", "P-8", "JKM"), correlation_id="CLM-8", producer="test")
        assert await claims.handle(record_carrying(CLAIMS_FILED.name, 0, filing, "CLM-8")) == "applied"
        referred = new_envelope(referral("CLM-8", "P-8"), correlation_id="CLM-8", producer="test")
        assert await claims.handle(record_carrying(CLAIM_DECISIONS.name, 1, referred, "CLM-8")) == "applied"

        assert await told(pool) == [("reporter", "+6281299870001", None)]

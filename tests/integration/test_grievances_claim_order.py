"""Grievances reads a claim's three topics in one group (services/grievances/app.py), on real
PostgreSQL through the service's own consumer: a decision read before its filing waits for it, and
the filing, read later from another topic, goes ahead of it instead of queueing behind it; in one
poll, the filing is applied first by its time, and nothing waits."""

from __future__ import annotations

import pytest

from services.grievances.app import consumers
from services.grievances.settings import GrievancesSettings
from shared.consuming import ConsumerRunner
from shared.contracts.claims import ClaimApproved
from shared.envelope import new_envelope
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED
from tests.support.family_members import claim_filed
from tests.support.kafka_tools import record_carrying
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

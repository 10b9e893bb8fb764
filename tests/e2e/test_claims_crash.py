"""Claims' consumers as real processes: one killed between its database commit and its offset
commit, and each consumer group stopped and restarted on its own, on real Kafka and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.domain.dates import add_months
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today as makassar_today
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, PAYOUTS
from tests.support.claimants import (
    JKK_DOCUMENTS,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    SPOUSE,
    claim_form,
    claim_of,
    covered_participant,
    events_about,
    ledger_lines,
    wait_for_event,
    wait_for_status,
)
from tests.support.kafka_tools import committed_offsets, group_caught_up, wait_until
from tests.support.processes import ServiceProcess
from tests.support.services import infra_settings, running

pytestmark = pytest.mark.e2e

FAST = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
FAULT_EXIT_CODE = 86  # shared/consuming.py, _fault_point
# Payout recording is claims.decisions's (with reclassifications, one group on claims.decisions.v1).
PAYOUT_GROUP, VERIFICATION_GROUP = "claims.decisions", "claims.verification"


def payout_process(kafka_bootstrap: str, database_url: str, log_dir, **env: str) -> ServiceProcess:
    return ServiceProcess(
        "claims",
        kafka_bootstrap,
        database_url,
        log_dir,
        CLAIMS_CONSUMERS="decisions",
        CLAIMS_RUN_RELAY="true",
        CLAIMS_HANDLER_BACKOFF_SECONDS="0.05",
        **env,
    )


async def nothing_pending(claims: httpx.AsyncClient, kafka_bootstrap: str, database_url: str, log_dir) -> None:
    """Earlier tests in the session may leave approvals the payout group has not taken yet; the
    fault process must meet ours first. Waits for verification and the relay to finish, then lets
    a plain payout process take whatever is left."""
    pool = claims.app.state.runtime.pool

    async def verified_and_relayed() -> bool:
        return (
            await group_caught_up(kafka_bootstrap, VERIFICATION_GROUP, CLAIMS_FILED.name)
            and await pool.fetchval("SELECT count(*) FROM claims.outbox") == 0
        )

    await wait_until(verified_and_relayed, 60, "earlier claims to be verified and their events published")
    if await group_caught_up(kafka_bootstrap, PAYOUT_GROUP, CLAIM_DECISIONS.name):
        return
    drain = await payout_process(kafka_bootstrap, database_url, log_dir).start()
    try:
        await wait_until(
            lambda: group_caught_up(kafka_bootstrap, PAYOUT_GROUP, CLAIM_DECISIONS.name),
            60,
            "the payout group to take earlier approvals",
        )
    finally:
        drain.stop()


def handled(metrics_text: str, consumer: str, event_type: str, outcome: str) -> float:
    pattern = (
        rf'^jaring_events_handled_total\{{consumer="{re.escape(consumer)}",event_type="{event_type}",'
        rf'outcome="{outcome}"\}} (\S+)$'
    )
    match = re.search(pattern, metrics_text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_payout_consumer_killed_after_its_commit_records_the_payout_once(kafka_bootstrap, database_url, tmp_path):
    today = makassar_today()
    infra = infra_settings(kafka_bootstrap, database_url)
    front = ClaimsSettings(infra=infra, consumers="participants,verification,timeline", **FAST)
    async with (
        running(enrollment_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0, **FAST))) as enrollment,
        running(claims_spec(front)) as claims,
    ):
        participant_id = await covered_participant(
            enrollment, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
        )
        await nothing_pending(claims, kafka_bootstrap, database_url, tmp_path)

        doomed = await payout_process(
            kafka_bootstrap, database_url, tmp_path, JARING_FAULT_EXIT_AFTER_COMMIT=PAYOUT_GROUP
        ).start()
        try:
            filed = await claims.post(
                "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
            )
            assert filed.status_code == 202, filed.text
            claim_id = filed.json()["claim_id"]
            await wait_until(doomed.exited, 60, "the payout process to die after its commit")
            assert doomed.process.returncode == FAULT_EXIT_CODE, doomed.log.read_text()[-2000:]
        finally:
            doomed.kill()

        # It died inside the window: the ledger committed, the offset of the approval did not.
        claim = await claim_of(claims, claim_id)
        assert claim["status"] == "payout_recorded"
        assert claim["payout"]["total_cash"] == 42_000_000
        assert not await group_caught_up(kafka_bootstrap, PAYOUT_GROUP, CLAIM_DECISIONS.name)

        restarted = await payout_process(kafka_bootstrap, database_url, tmp_path).start()
        try:
            await wait_until(
                lambda: group_caught_up(kafka_bootstrap, PAYOUT_GROUP, CLAIM_DECISIONS.name),
                60,
                "the restarted payout group to catch up on claims.decisions.v1",
            )
            async with httpx.AsyncClient() as http:
                metrics = (await http.get(restarted.url + "/metrics")).text
            # The approval came again and the inbox turned it away.
            assert handled(metrics, PAYOUT_GROUP, "ClaimApproved", "duplicate") == 1
            assert handled(metrics, PAYOUT_GROUP, "ClaimApproved", "applied") == 0
        finally:
            restarted.stop()

        # Each component once: 20,000,000 + 12,000,000 + 10,000,000 = 42,000,000 (PP 82/2019).
        claim = await claim_of(claims, claim_id)
        assert ledger_lines(claim) == [
            ("funeral", "Muh. Ridwan", 10_000_000, "cash"),
            ("lump_sum", "Muh. Ridwan", 20_000_000, "cash"),
            ("periodic_benefit", "Muh. Ridwan", 12_000_000, "cash"),
        ]
        assert [s["step"] for s in claim["steps"] if not s["step"].startswith(("disbursement_", "transfer_"))] == [
            "filed",
            "verified",
            "payout_recorded",
        ]
        # The dead process's PayoutRecorded was in the outbox; a live relay published it, once.
        pool = claims.app.state.runtime.pool
        await wait_until(lambda: _outbox_empty(pool), 30, "the outbox to be published")
        recorded = await wait_for_event(kafka_bootstrap, PAYOUTS.name, claim_id, "PayoutRecorded")
        assert len(recorded) == 1 and recorded[0].payload["total_cash"] == 42_000_000
        approvals = [
            e for e in await events_about(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id) if e.type == "ClaimApproved"
        ]
        assert len(approvals) == 1


async def _outbox_empty(pool) -> bool:
    return await pool.fetchval("SELECT count(*) FROM claims.outbox") == 0


async def test_verification_restarted_alone_verifies_what_was_filed_while_it_was_down(
    kafka_bootstrap, database_url, tmp_path
):
    today = makassar_today()
    infra = infra_settings(kafka_bootstrap, database_url)
    # The API, the read model and payout recording here; verification in its own process.
    front = ClaimsSettings(infra=infra, consumers="participants,decisions,timeline", **FAST)
    async with (
        running(enrollment_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0, **FAST))) as enrollment,
        running(claims_spec(front)) as claims,
    ):
        participant_id = await covered_participant(
            enrollment, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
        )

        def verification_process() -> ServiceProcess:
            return ServiceProcess(
                "claims",
                kafka_bootstrap,
                database_url,
                tmp_path,
                CLAIMS_CONSUMERS="verification",
                CLAIMS_RUN_RELAY="false",
            )

        verification = await verification_process().start()
        try:
            accident = await claims.post(
                "/v1/claims", json=claim_form(participant_id, "JKK", today, JKK_DOCUMENTS, incapacity_days=3)
            )
            accident_id = accident.json()["claim_id"]
            await wait_for_status(claims, accident_id, "payout_recorded")
        finally:
            verification.stop()
        assert '"service.stopped"' in verification.log.read_text(), "verification left its group cleanly"

        death = await claims.post(
            "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
        )
        death_id = death.json()["claim_id"]
        await wait_for_event(kafka_bootstrap, CLAIMS_FILED.name, death_id, "ClaimFiled")
        # The ClaimFiled is on the topic and nothing in the verification group reads it: the
        # claim waits, and the payout group (still running here) is not held up by it.
        assert (await claim_of(claims, death_id))["status"] == "filed"
        assert not await group_caught_up(kafka_bootstrap, VERIFICATION_GROUP, CLAIMS_FILED.name)
        await wait_until(
            lambda: group_caught_up(kafka_bootstrap, PAYOUT_GROUP, CLAIM_DECISIONS.name),
            30,
            "the payout group to be caught up while verification is down",
        )

        verification = await verification_process().start()
        try:
            claim = await wait_for_status(claims, death_id, "payout_recorded")
            await wait_until(
                lambda: group_caught_up(kafka_bootstrap, VERIFICATION_GROUP, CLAIMS_FILED.name),
                30,
                "the verification group to catch up",
            )
        finally:
            verification.stop()
        assert claim["payout"]["total_cash"] == 42_000_000
        assert [s["step"] for s in claim["steps"] if not s["step"].startswith(("disbursement_", "transfer_"))] == [
            "filed",
            "verified",
            "payout_recorded",
        ]
        # Two groups, each with its own committed offsets on its own topic.
        assert await committed_offsets(kafka_bootstrap, VERIFICATION_GROUP, CLAIMS_FILED.name)
        assert await committed_offsets(kafka_bootstrap, PAYOUT_GROUP, CLAIM_DECISIONS.name)
        assert not await committed_offsets(kafka_bootstrap, VERIFICATION_GROUP, CLAIM_DECISIONS.name)

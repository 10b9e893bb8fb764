"""A reported death is one claim even when the process that opened it dies: claims' participant
consumer (which applies DeathReported) is killed right after its commit and before its offset
commit, restarted, and the redelivered event changes nothing. Real processes, Kafka, PostgreSQL."""

from __future__ import annotations

import random

import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.domain import Period, contribution_due
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today as wita_today
from shared.topics import CLAIMS_FILED, PARTICIPANTS
from tests.support.claimants import events_about
from tests.support.kafka_tools import group_caught_up, wait_until
from tests.support.processes import ServiceProcess
from tests.support.registry import registry_standin
from tests.support.services import infra_settings, participant_form, running

pytestmark = pytest.mark.e2e

FAST = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
FAULT_EXIT_CODE = 86  # shared/consuming.py, _fault_point
GROUP = "claims.participants"


def participants_process(kafka_bootstrap: str, database_url: str, log_dir, **env: str) -> ServiceProcess:
    return ServiceProcess(
        "claims",
        kafka_bootstrap,
        database_url,
        log_dir,
        CLAIMS_CONSUMERS="participants",
        CLAIMS_RUN_RELAY="false",
        CLAIMS_DISBURSEMENT_WORKER="false",
        CLAIMS_PROACTIVE_SWEEP_SECONDS="0",
        CLAIMS_HANDLER_BACKOFF_SECONDS="0.05",
        **env,
    )


async def caught_up(kafka_bootstrap: str) -> bool:
    return await group_caught_up(kafka_bootstrap, GROUP, PARTICIPANTS.name)


async def test_the_claims_process_killed_after_opening_a_proactive_claim_opens_it_once(
    kafka_bootstrap, database_url, tmp_path
):
    infra = infra_settings(kafka_bootstrap, database_url)
    today = wita_today()
    # Here: the API and the relay (it publishes what the dead process left in the outbox); the
    # participant consumer runs in its own processes.
    front = ClaimsSettings(
        infra=infra,
        consumers="verification,decisions,timeline",
        disbursement_worker=False,
        proactive_sweep_seconds=0,
        **FAST,
    )
    async with (
        registry_standin(tmp_path / "registry") as registry,
        running(
            enrollment_spec(
                EnrollmentSettings(
                    infra=infra, coverage_sweep_seconds=0, consumers="none", **registry.enrollment_settings(), **FAST
                )
            )
        ) as enrollment,
        running(claims_spec(front)) as claims,
    ):
        registry.connect(enrollment.app)
        await wait_until(lambda: _subscribed(registry), 30, "enrollment to subscribe")
        name = f"Daeng Mogok {random.randint(10_000, 99_999)}"
        form = participant_form(
            full_name=name,
            member_since=today.replace(day=1).isoformat(),
            heirs=[
                {
                    "full_name": "Andi Baso",
                    "relationship": "spouse",
                    "phone": f"+62813{random.randint(10**7, 10**8 - 1)}",
                }
            ],
        )
        participant_id = (await enrollment.post("/v1/participants", json=form)).json()["participant_id"]
        due = contribution_due(2_000_000, ["JKK", "JKM"], "market_trader", "self", Period.of(today))
        paid = await enrollment.post(
            f"/v1/participants/{participant_id}/contributions",
            json={"period": str(Period.of(today)), "amount": due.total, "payer": "self", "paid_at": today.isoformat()},
        )
        assert paid.status_code == 201, paid.text

        # A plain participant process takes whatever is pending first, this worker's coverage included.
        drain = await participants_process(kafka_bootstrap, database_url, tmp_path).start()
        try:
            await wait_until(lambda: _outbox_empty(enrollment), 30, "enrollment's events to be published")
            await wait_until(lambda: caught_up(kafka_bootstrap), 60, "the participant group to catch up")
        finally:
            drain.stop()

        doomed = participants_process(
            kafka_bootstrap, database_url, tmp_path, JARING_FAULT_EXIT_AFTER_COMMIT=GROUP
        ).launch()
        try:
            await registry.register_death(form["nik"], today.isoformat(), "RSUD Daya")
            await wait_until(doomed.exited, 90, "the participant process to die after its commit")
            assert doomed.process.returncode == FAULT_EXIT_CODE, doomed.log.read_text()[-2000:]
        finally:
            doomed.kill()

        # It died inside the window: the claim is committed, the offset of DeathReported is not.
        [opened] = (await claims.get("/v1/claims", params={"participant_id": participant_id})).json()
        assert opened["status"] == "awaiting_family"
        assert not await caught_up(kafka_bootstrap)

        restarted = await participants_process(kafka_bootstrap, database_url, tmp_path).start()
        try:
            await wait_until(lambda: caught_up(kafka_bootstrap), 60, "the restarted group to catch up")
        finally:
            restarted.stop()

        claims_now = (await claims.get("/v1/claims", params={"participant_id": participant_id})).json()
        assert [c["claim_id"] for c in claims_now] == [opened["claim_id"]]
        await wait_until(lambda: _outbox_empty(claims), 30, "claims' outbox to be published")
        told = [
            e
            for e in await events_about(kafka_bootstrap, CLAIMS_FILED.name, opened["claim_id"])
            if e.type == "ProactiveClaimOpened"
        ]
        assert len(told) == 1 and told[0].payload["expected_amount"] == 10_000_000  # member this month:
        # short membership, death benefit 8,000,000 + funeral 2,000,000.


async def _subscribed(registry) -> bool:
    return bool((await registry.client.get("/_control/subscriptions")).json())


async def _outbox_empty(service) -> bool:
    pool = service.app.state.runtime.pool
    return await pool.fetchval("SELECT count(*) FROM outbox") == 0

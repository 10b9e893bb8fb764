"""kill -9 of claims mid-transfer — after the bank paid and before claims recorded it, or after
claims recorded the attempt and before the bank heard of it, with several claims' transfers in
flight at once (CLAIMS_DISBURSEMENT_CONCURRENCY): on restart each transfer is asked about by its
external id and sent (again, under the same id) only if the bank never had it. Exactly one
successful transfer per ledger line, read from the bank's own ledger."""

from __future__ import annotations

import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.domain.dates import add_months
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today as makassar_today
from tests.conftest import BANK_TEST_SECRET
from tests.support.bank import NOTIFY_PATH, bank_standin
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    SPOUSE,
    claim_form,
    covered_participant,
    wait_for_status,
)
from tests.support.kafka_tools import wait_until
from tests.support.processes import ServiceProcess
from tests.support.services import infra_settings, running

pytestmark = pytest.mark.e2e

FAST = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
FAULT_EXIT_CODE = 87  # services/claims/disbursement/worker.py, _fault_point


CLAIMS = 3  # each with three lines to its own payee: three claims' transfers in flight at once


@pytest.mark.parametrize(
    "window, booked_before_restart",
    [
        ("after_bank_answer", True),  # the bank paid; claims never wrote it down
        ("before_bank_call", False),  # claims wrote the attempt; the bank never heard of it
    ],
)
async def test_claims_killed_mid_transfer_pays_each_line_exactly_once(
    kafka_bootstrap, database_url, tmp_path, window, booked_before_restart
):
    infra = infra_settings(kafka_bootstrap, database_url)
    # This process files and records the payout but never calls the bank: only the process we kill does.
    settings = ClaimsSettings(infra=infra, disbursement_worker=False, **FAST)
    worker = ServiceProcess(
        "claims",
        kafka_bootstrap,
        database_url,
        tmp_path,
        CLAIMS_CONSUMERS="none",
        CLAIMS_RUN_RELAY="false",
        CLAIMS_DISBURSEMENT_POLL_SECONDS="0.2",
        CLAIMS_DISBURSEMENT_RECHECK_SECONDS="1",
        CLAIMS_DISBURSEMENT_CONCURRENCY="4",
        CLAIMS_BANK_TIMEOUT_SECONDS="5",
        JARING_FAULT_EXIT_DISBURSEMENT=window,
    )
    async with (
        running(enrollment_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0, **FAST))) as e,
        running(claims_spec(settings)) as claims,
        bank_standin(tmp_path / "bank", BANK_TEST_SECRET, notify_url=worker.url + NOTIFY_PATH) as bank,
    ):
        worker.env["CLAIMS_BANK_BASE_URL"] = bank.url
        today = makassar_today()

        async def lines(claim_id: str) -> list[dict]:
            return (await claims.get(f"/v1/claims/{claim_id}/disbursement")).json()["lines"]

        accounts: dict[str, str] = {}  # claim id -> the payee's account number
        for _ in range(CLAIMS):
            participant_id = await covered_participant(
                e, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
            )
            filed = await claims.post(
                "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
            )
            claim_id = filed.json()["claim_id"]
            await wait_for_status(claims, claim_id, "payout_recorded", timeout=60)
            await wait_until(lambda c=claim_id: _count(lines, c, 3), 30, "three lines received")
            heir = (await lines(claim_id))[0]["payee_heir_id"]
            accounts[claim_id] = await bank.open_account("MUHAMMAD RIDWAN")
            recorded = await claims.put(
                f"/v1/claims/{claim_id}/payees/{heir}/account",
                json={"bank_code": "002", "account_number": accounts[claim_id], "account_name": "Muh. Ridwan"},
            )
            assert recorded.status_code == 200, recorded.text

        worker.launch()
        try:
            await wait_until(worker.exited, 90, f"the worker to die at {window} (log: {worker.log})")
            assert worker.process.returncode == FAULT_EXIT_CODE, worker.log.read_text()[-2000:]
            pool = claims.app.state.runtime.pool
            unknown = {
                r["external_id"]
                for r in await pool.fetch(
                    "SELECT external_id FROM claims.transfer_attempts WHERE claim_id = ANY($1) AND status = 'sending'",
                    list(accounts),
                )
            }
            # Claims died with attempts `sending` (one per claim at most: a claim's lines go in turn);
            # the bank booked the one whose answer was lost, or never heard of the one about to go.
            assert 1 <= len(unknown) <= CLAIMS
            if booked_before_restart:
                assert len(bank.succeeded(unknown)) >= 1
            else:
                # The first call about to reach the bank dies before it: nothing was sent, whatever other
                # attempts were committed meanwhile.
                assert [t for a in accounts.values() for t in bank.transfers_to(a)] == []

            worker.env.pop("JARING_FAULT_EXIT_DISBURSEMENT")
            await worker.start()

            async def all_paid() -> bool:
                statuses = [{x["status"] for x in await lines(c)} for c in accounts]
                return all(s == {"succeeded"} for s in statuses)

            await wait_until(all_paid, 90, "every line paid after the restart")
        finally:
            worker.stop()
        for claim_id, account in accounts.items():
            d = (await claims.get(f"/v1/claims/{claim_id}/disbursement")).json()
            # One attempt per line, each booked once by the bank: 20,000,000 + 12,000,000 + 10,000,000.
            assert sorted(a["attempt"] for a in d["attempts"]) == [1, 1, 1]
            booked = bank.transfers_to(account)
            assert sorted(t["amount"] for t in booked if t["status"] == "succeeded") == [
                10_000_000,
                12_000_000,
                20_000_000,
            ]
            assert len(booked) == 3
            assert d["totals"]["held_by_payees"] == 20_000_000 + 12_000_000 + 10_000_000


async def _count(lines, claim_id: str, n: int) -> bool:
    return len(await lines(claim_id)) == n

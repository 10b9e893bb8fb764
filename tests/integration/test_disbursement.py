"""Money leaves through the bank stand-in and arrives: claims' disbursement step on real Kafka and
PostgreSQL, against the SNAP stand-in on a real port, its notifications signed and checked."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.disbursement import handlers as disbursement_handlers
from services.claims.disbursement.bank import BankAnswer
from services.claims.domain.dates import add_months
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from shared import snap
from shared.clock import today as makassar_today
from shared.db import create_pool
from shared.topics import DISBURSEMENTS
from tests.conftest import BANK_TEST_SECRET
from tests.support.bank import NOTIFY_PATH, BankStandin, bank_standin
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    SPOUSE,
    claim_form,
    claim_of,
    covered_participant,
    events_about,
    wait_for_status,
)
from tests.support.console import console, served
from tests.support.kafka_tools import wait_until
from tests.support.services import auth, infra_settings, running, token
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

FAST = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
# PP 82/2019, JKM: lump sum 20,000,000, periodic benefit 12,000,000, funeral 10,000,000,
# all to the widower (tests/support/claimants.SPOUSE, "Muh. Ridwan"), the only heir.
LINES = {"lump_sum": 20_000_000, "periodic_benefit": 12_000_000, "funeral": 10_000_000}
TOTAL = 20_000_000 + 12_000_000 + 10_000_000
HOLDER = "MUHAMMAD RIDWAN"  # how the bank writes "Muh. Ridwan"


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap, database_url, tmp_path_factory):
    infra = infra_settings(kafka_bootstrap, database_url)
    bank_port = free_port()
    settings = ClaimsSettings(
        infra=infra,
        bank_base_url=f"http://127.0.0.1:{bank_port}",
        bank_timeout_seconds=2,
        disbursement_poll_seconds=0.2,
        disbursement_recheck_seconds=1,
        **FAST,
    )
    async with (
        running(enrollment_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0, **FAST))) as e,
        running(claims_spec(settings)) as c,
        bank_standin(
            tmp_path_factory.mktemp("bank"),
            BANK_TEST_SECRET,
            port=bank_port,
            notify_transport=httpx.ASGITransport(app=c.app),
        ) as bank,
    ):
        yield e, c, bank


@pytest.fixture
def claims(stack) -> httpx.AsyncClient:
    return stack[1]


@pytest.fixture
def bank(stack) -> BankStandin:
    return stack[2]


async def paid_out_claim(stack) -> str:
    """A JKM claim, approved by the rules, its three cash lines received by disbursement."""
    enrollment, claims, _ = stack
    today = makassar_today()
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
    )
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]
    await wait_for_status(claims, claim_id, "payout_recorded", timeout=60)
    await wait_for_lines(claims, claim_id, {"received"})
    return claim_id


async def disbursement(claims: httpx.AsyncClient, claim_id: str) -> dict:
    answer = await claims.get(f"/v1/claims/{claim_id}/disbursement")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def wait_for_lines(claims: httpx.AsyncClient, claim_id: str, statuses: set[str], timeout: float = 30) -> dict:
    """Waits until the three lines exist and each is in one of `statuses`."""

    async def reached() -> bool:
        lines = (await disbursement(claims, claim_id))["lines"]
        return len(lines) == 3 and {x["status"] for x in lines} <= statuses

    await wait_until(reached, timeout, f"{claim_id}'s lines to be {statuses}")
    return await disbursement(claims, claim_id)


async def pay_to(
    claims: httpx.AsyncClient, claim_id: str, payee: str, account_number: str, name: str = "Muh. Ridwan"
) -> httpx.Response:
    heir_id = payee
    return await claims.put(
        f"/v1/claims/{claim_id}/payees/{heir_id}/account",
        json={"bank_code": "002", "account_number": account_number, "account_name": name},
    )


async def spouse_id(claims: httpx.AsyncClient, claim_id: str) -> str:
    return (await disbursement(claims, claim_id))["lines"][0]["payee_heir_id"]


def one_success_per_line(bank: BankStandin, d: dict) -> dict[str, int]:
    """The bank's successful transfers per line of this claim, read from the bank's own ledger."""
    ids = {a["external_id"]: a["component"] for a in d["attempts"] if a["method"] != "manual"}
    per_line: dict[str, int] = {}
    for t in bank.succeeded(set(ids)):
        per_line[ids[t["external_id"]]] = per_line.get(ids[t["external_id"]], 0) + 1
    return per_line


# --- the way it should go ------------------------------------------------------------------------------


async def test_an_account_in_the_payees_name_is_paid_each_line_once_and_the_claim_is_paid(
    stack, claims, bank, kafka_bootstrap
):
    claim_id = await paid_out_claim(stack)
    account = await bank.open_account(HOLDER)
    recorded = await pay_to(claims, claim_id, await spouse_id(claims, claim_id), account)
    assert recorded.status_code == 200, recorded.text

    d = await wait_for_lines(claims, claim_id, {"succeeded"})
    assert d["totals"] == {"owed": TOTAL, "paid": TOTAL, "reversed": 0, "held_by_payees": TOTAL, "outstanding": 0}
    assert sorted((t["amount"], t["account_no"]) for t in bank.transfers_to(account)) == sorted(
        (amount, account) for amount in LINES.values()
    )
    assert one_success_per_line(bank, d) == {"lump_sum": 1, "periodic_benefit": 1, "funeral": 1}
    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    assert claim["disbursement"]["status"] == "paid"
    steps = [s["step"] for s in claim["steps"]]
    assert steps.count("transfer_sent") == 3 and steps.count("transfer_succeeded") == 3
    assert steps[-1] == "disbursement_paid"

    async def announced() -> bool:
        events = [
            e
            for e in await events_about(kafka_bootstrap, DISBURSEMENTS.name, claim_id)
            if e.type == "TransferStatusChanged"
        ]
        return sorted(e.payload["status"] for e in events) == ["pending"] * 3 + ["received"] * 3 + ["succeeded"] * 3

    await wait_until(announced, 30, "received, pending and succeeded for each line on claims.disbursements.v1")
    events = await events_about(kafka_bootstrap, DISBURSEMENTS.name, claim_id)
    assert all(account not in e.to_bytes().decode() for e in events)  # only the last four digits travel
    assert {e.payload["account_last4"] for e in events if e.payload["status"] == "succeeded"} == {account[-4:]}


async def test_every_bank_notification_delivered_twice_changes_each_line_once(stack, claims, bank, kafka_bootstrap):
    claim_id = await paid_out_claim(stack)
    account = await bank.open_account(HOLDER)
    await bank.client.post("/_control/notify", json={"copies": 2})
    try:
        await pay_to(claims, claim_id, await spouse_id(claims, claim_id), account)
        d = await wait_for_lines(claims, claim_id, {"succeeded"})
        pool = claims.app.state.runtime.pool

        async def both_copies_taken() -> bool:
            # Three transfers, each notified twice under its own X-EXTERNAL-ID: six taken.
            return (
                await pool.fetchval(
                    "SELECT count(*) FROM claims.bank_notifications_seen WHERE received_at > "
                    "(SELECT min(created_at) FROM claims.transfer_attempts WHERE claim_id = $1)",
                    claim_id,
                )
                >= 6
            )

        await wait_until(both_copies_taken, 30, "both copies of each notification taken")
    finally:
        await bank.client.post("/_control/notify", json={"copies": 1})
    assert [a["attempt"] for a in d["attempts"]] == [1, 1, 1]
    assert one_success_per_line(bank, d) == {"lump_sum": 1, "periodic_benefit": 1, "funeral": 1}
    events = [
        e
        for e in await events_about(kafka_bootstrap, DISBURSEMENTS.name, claim_id)
        if e.type == "TransferStatusChanged" and e.payload["status"] == "succeeded"
    ]
    assert len(events) == 3  # one per line, however often the bank said so
    steps = [s["step"] for s in (await claim_of(claims, claim_id))["steps"]]
    assert steps.count("transfer_succeeded") == 3 and steps.count("disbursement_paid") == 1


async def paid_in_cash(stack, claims: httpx.AsyncClient) -> str:
    """A claim whose three lines wait at the counter: the spouse chose cash, each line has its pick-up code."""
    claim_id = await paid_out_claim(stack)
    heir = await spouse_id(claims, claim_id)
    recorded = await claims.put(
        f"/v1/claims/{claim_id}/payees/{heir}/account", json={"method": "cash", "account_name": "Muh. Ridwan"}
    )
    assert recorded.status_code == 200, recorded.text

    async def codes_given() -> bool:
        attempts = (await disbursement(claims, claim_id))["attempts"]
        return len(attempts) == 3 and all(a["pickup_code"] for a in attempts)

    await wait_until(codes_given, 30, "a pick-up code for each line")
    return claim_id


async def test_cash_pick_up_is_paid_when_the_payee_collects_it_at_the_counter(stack, claims, bank):
    claim_id = await paid_in_cash(stack, claims)
    d = await disbursement(claims, claim_id)
    assert {x["status"] for x in d["lines"]} == {"pending"}
    for attempt in d["attempts"]:
        assert (await bank.client.post(f"/_control/cash/{attempt['pickup_code']}/collect")).status_code == 200
    d = await wait_for_lines(claims, claim_id, {"succeeded"})
    assert d["totals"]["held_by_payees"] == TOTAL


async def test_two_lines_settled_side_by_side_still_find_the_claim_paid(stack, claims, bank, database_url):
    """The worker settling one line while the bank's notification settles another of the same claim
    (two transactions at once): each counts the claim's unpaid lines; unless they take turns, each sees
    the other's line unpaid and the claim is never found paid."""
    claim_id = await paid_in_cash(stack, claims)
    first, second, third = [a["external_id"] for a in (await disbursement(claims, claim_id))["attempts"]]
    collected = BankAnswer("succeeded", bank_reference="counter")
    pool = await create_pool(database_url, "claims", min_size=2, max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            assert await disbursement_handlers.apply_answer(conn, first, collected, "test")
        async with pool.acquire() as one, pool.acquire() as other:
            one_tx, other_tx = one.transaction(), other.transaction()
            await one_tx.start()
            await other_tx.start()
            assert await disbursement_handlers.apply_answer(one, second, collected, "test")
            settling = asyncio.create_task(disbursement_handlers.apply_answer(other, third, collected, "test"))
            other_pid = other.get_server_pid()

            async def finished_or_waiting() -> bool:
                return settling.done() or await one.fetchval(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", other_pid
                )

            await wait_until(finished_or_waiting, 10, "the other settlement to finish or wait its turn")
            await one_tx.commit()
            assert await settling
            await other_tx.commit()
    finally:
        await pool.close()
    assert (await claim_of(claims, claim_id))["disbursement"]["status"] == "paid"


# --- the bank says no, and the officer records another account ------------------------------------------


@pytest.mark.parametrize(
    "last_digit, reason, money_moved",
    [
        ("4", "AC04", False),  # closed: refused at the account inquiry
        ("9", "BE01", False),  # the account is in someone else's name: stopped before any money moves
        ("6", "AC06", True),  # blocked: accepted, then rejected by the bank's notification
        ("7", "MD07", True),  # holder deceased: accepted, then rejected by notification
    ],
)
async def test_a_refused_account_rejects_the_lines_and_a_new_account_reissues_them(
    stack, claims, bank, last_digit, reason, money_moved
):
    claim_id = await paid_out_claim(stack)
    heir = await spouse_id(claims, claim_id)
    refused = await bank.open_account(HOLDER, last_digit)
    assert (await pay_to(claims, claim_id, heir, refused)).status_code == 200

    d = await wait_for_lines(claims, claim_id, {"rejected"})
    assert {(x["status"], x["reason_code"]) for x in d["lines"]} == {("rejected", reason)}
    assert not [t for t in bank.transfers_to(refused) if t["status"] == "succeeded"]
    assert bool(bank.transfers_to(refused)) == money_moved  # inquiry refusals send no transfer at all

    good = await bank.open_account(HOLDER)
    reissued = await pay_to(claims, claim_id, heir, good)
    assert reissued.status_code == 200 and sorted(reissued.json()["reissued"]) == sorted(LINES)
    d = await wait_for_lines(claims, claim_id, {"succeeded"})
    assert one_success_per_line(bank, d) == {"lump_sum": 1, "periodic_benefit": 1, "funeral": 1}
    assert d["totals"]["held_by_payees"] == TOTAL and d["totals"]["outstanding"] == 0
    steps = [s["step"] for s in (await claim_of(claims, claim_id))["steps"]]
    assert steps.count("transfer_rejected") >= 1 and steps.count("transfer_succeeded") == 3


async def test_a_slow_bank_is_asked_for_the_status_and_nothing_is_paid_twice(stack, claims, bank):
    claim_id = await paid_out_claim(stack)
    slow = await bank.open_account(HOLDER, "8")  # booked at once, answered after the 2 s timeout
    assert (await pay_to(claims, claim_id, await spouse_id(claims, claim_id), slow)).status_code == 200

    d = await wait_for_lines(claims, claim_id, {"succeeded"}, timeout=60)
    assert len(bank.transfers_to(slow)) == 3  # one per line: the retry asked before sending again
    assert [a["attempt"] for a in d["attempts"]] == [1, 1, 1]


async def test_slow_accounts_do_not_hold_up_the_other_claims_lines_and_each_line_is_paid_once(stack, claims, bank):
    """The worker has claims' bank calls side by side (CLAIMS_DISBURSEMENT_CONCURRENCY, 16 here):
    while two slow accounts each eat the 2 s timeout, a third claim's lines are paid. One at a
    time, in the order the lines came (the slow claims' first), all six slow lines would have been
    sent, each waiting out its timeout, before the first fast one."""
    slow_claims = [await paid_out_claim(stack), await paid_out_claim(stack)]
    fast_claim = await paid_out_claim(stack)
    slow_accounts = [await bank.open_account(HOLDER, "8") for _ in slow_claims]
    fast_account = await bank.open_account(HOLDER)
    for claim_id, account in [*zip(slow_claims, slow_accounts), (fast_claim, fast_account)]:
        assert (await pay_to(claims, claim_id, await spouse_id(claims, claim_id), account)).status_code == 200

    await wait_for_lines(claims, fast_claim, {"succeeded"}, timeout=60)
    sent_slow = sum(len(bank.transfers_to(a)) for a in slow_accounts)
    # 2 claims x 3 lines = 6 slow lines: not all of them went before the fast claim's (at most the
    # first one or two of each slow claim, a 2 s timeout per line of a claim).
    assert sent_slow < 2 * 3, sent_slow

    for claim_id, account in zip(slow_claims, slow_accounts):
        d = await wait_for_lines(claims, claim_id, {"succeeded"}, timeout=90)
        # The bank's own ledger: one transfer per line, each booked once.
        assert sorted(t["amount"] for t in bank.transfers_to(account)) == [10_000_000, 12_000_000, 20_000_000]
        assert one_success_per_line(bank, d) == {"lump_sum": 1, "periodic_benefit": 1, "funeral": 1}
        assert [a["attempt"] for a in d["attempts"]] == [1, 1, 1]
    assert sorted(t["amount"] for t in bank.transfers_to(fast_account)) == [10_000_000, 12_000_000, 20_000_000]


# --- a supervisor's hand ---------------------------------------------------------------------------------


async def test_a_reversal_reopens_the_line_and_the_totals_still_reconcile(stack, claims, bank):
    claim_id = await paid_out_claim(stack)
    heir = await spouse_id(claims, claim_id)
    wrong = await bank.open_account(HOLDER)
    await pay_to(claims, claim_id, heir, wrong)
    d = await wait_for_lines(claims, claim_id, {"succeeded"})
    funeral = next(a for a in d["attempts"] if a["component"] == "funeral")

    body = {"external_id": funeral["external_id"], "reason": "paid to the neighbour's account by mistake"}
    refused = await claims.post(f"/v1/claims/{claim_id}/disbursement/reversals", json=body)
    assert refused.status_code == 403  # an officer may not undo a transfer
    reversed_ = await claims.post(
        f"/v1/claims/{claim_id}/disbursement/reversals", json=body, headers=auth("supervisor", "spv-rahmat")
    )
    assert reversed_.status_code == 200, reversed_.text
    d = await disbursement(claims, claim_id)
    assert {x["component"]: x["status"] for x in d["lines"]}["funeral"] == "received"
    assert d["reversals"][0]["reversed_by"] == "spv-rahmat"
    assert (await claim_of(claims, claim_id))["disbursement"]["status"] == "scheduled"
    # Twice is refused: the transfer is reversed already.
    again = await claims.post(f"/v1/claims/{claim_id}/disbursement/reversals", json=body, headers=auth("supervisor"))
    assert again.status_code == 422 and again.json()["errors"][0]["type"] == "transfer_not_succeeded"

    right = await bank.open_account(HOLDER)
    await pay_to(claims, claim_id, heir, right)
    d = await wait_for_lines(claims, claim_id, {"succeeded"})
    # paid 42,000,000 + the funeral again 10,000,000; reversed 10,000,000; held 42,000,000.
    assert d["totals"] == {
        "owed": TOTAL,
        "paid": TOTAL + 10_000_000,
        "reversed": 10_000_000,
        "held_by_payees": TOTAL,
        "outstanding": 0,
    }
    assert [t["amount"] for t in bank.transfers_to(right)] == [10_000_000]
    assert (await claim_of(claims, claim_id))["disbursement"]["status"] == "paid"


async def test_only_a_supervisor_records_a_manual_transfer_and_only_with_a_bank_reference(stack, claims):
    claim_id = await paid_out_claim(stack)
    heir = await spouse_id(claims, claim_id)
    body = {"component": "funeral", "payee": heir, "bank_reference": "BRI-TELLER-0042", "note": "paid at the counter"}
    assert (await claims.post(f"/v1/claims/{claim_id}/disbursement", json=body)).status_code == 403
    blank = await claims.post(
        f"/v1/claims/{claim_id}/disbursement", json={**body, "bank_reference": " "}, headers=auth("supervisor")
    )
    assert blank.status_code == 422 and blank.json()["errors"][0]["loc"] == ["body", "bank_reference"]
    done = await claims.post(f"/v1/claims/{claim_id}/disbursement", json=body, headers=auth("supervisor", "spv-1"))
    assert done.status_code == 200, done.text
    d = await disbursement(claims, claim_id)
    manual = [a for a in d["attempts"] if a["method"] == "manual"]
    assert [(a["component"], a["status"], a["bank_reference"], a["created_by"]) for a in manual] == [
        ("funeral", "succeeded", "BRI-TELLER-0042", "spv-1")
    ]
    pool = claims.app.state.runtime.pool
    audited = await pool.fetchval(
        "SELECT count(*) FROM claims.audit_log WHERE subject_id = $1 AND action = 'disbursement.manual_transfer'",
        claim_id,
    )
    assert audited == 1


# --- callbacks that cannot be forged ------------------------------------------------------------------


def signed(
    body: bytes,
    *,
    path: str = NOTIFY_PATH,
    secret: str = BANK_TEST_SECRET,
    at: datetime | None = None,
    external_id: str | None = None,
) -> dict[str, str]:
    stamp = snap.timestamp(at)
    return {
        "content-type": "application/json",
        "X-TIMESTAMP": stamp,
        "X-SIGNATURE": snap.signature(secret, "POST", path, body, stamp),
        "X-PARTNER-ID": "BANK",
        "X-EXTERNAL-ID": external_id or uuid.uuid4().hex,
        "CHANNEL-ID": "95221",
    }


async def test_forged_stale_and_replayed_notifications_are_refused_and_change_nothing(stack, claims, bank):
    claim_id = await paid_out_claim(stack)
    heir = await spouse_id(claims, claim_id)
    # Cash at the counter: pending until collected, so a forged "paid" would be believed.
    await claims.put(
        f"/v1/claims/{claim_id}/payees/{heir}/account", json={"method": "cash", "account_name": "Muh. Ridwan"}
    )

    async def codes_given() -> bool:
        attempts = (await disbursement(claims, claim_id))["attempts"]
        return len(attempts) == 3 and all(a["pickup_code"] for a in attempts)

    await wait_until(codes_given, 30, "a pick-up code for each line")
    attempt = (await disbursement(claims, claim_id))["attempts"][0]
    body = (
        f'{{"originalExternalId":"{attempt["external_id"]}",'
        f'"originalPartnerReferenceNo":"{attempt["external_id"]}","latestTransactionStatus":"00"}}'
    ).encode()

    forged = await claims.post(NOTIFY_PATH, content=body, headers=signed(body, secret="public-default-string"))
    other_path = await claims.post(NOTIFY_PATH, content=body, headers=signed(body, path="/v1/bank/other"))
    stale = await claims.post(
        NOTIFY_PATH, content=body, headers=signed(body, at=datetime.now(UTC) - timedelta(minutes=6))
    )
    tampered = await claims.post(
        NOTIFY_PATH,
        content=body.replace(b'"00"', b'"00" '),
        headers={**signed(body), "X-SIGNATURE": signed(b"{}")["X-SIGNATURE"]},
    )
    huge = await claims.post(NOTIFY_PATH, content=b"{" + b" " * 20_000 + b"}", headers=signed(b"{}"))
    assert [r.status_code for r in (forged, other_path, stale, tampered)] == [401] * 4
    assert huge.status_code == 413
    # The bank reads SNAP's answer, a refusal too, not a problem document.
    assert [r.json()["responseCode"] for r in (forged, huge)] == ["4010000", "4130000"]
    assert {x["status"] for x in (await disbursement(claims, claim_id))["lines"]} == {"pending"}

    # The payee collects; the bank's notification (held back here) is sent by hand, signed as the
    # bank signs: taken once, and the same request again is a replay, refused.
    await bank.client.post("/_control/notify", json={"copies": 0})
    try:
        assert (await bank.client.post(f"/_control/cash/{attempt['pickup_code']}/collect")).status_code == 200
    finally:
        await bank.client.post("/_control/notify", json={"copies": 1})
    headers = signed(body)
    first = await claims.post(NOTIFY_PATH, content=body, headers=headers)
    replay = await claims.post(NOTIFY_PATH, content=body, headers=headers)
    assert (first.status_code, replay.status_code) == (200, 409)
    d = await disbursement(claims, claim_id)
    line = next(x for x in d["lines"] if x["component"] == attempt["component"])
    assert line["status"] == "succeeded"
    assert {x["status"] for x in d["lines"] if x["component"] != attempt["component"]} == {"pending"}


# --- the bank's statement ---------------------------------------------------------------------------------


async def test_the_days_statement_lists_each_kind_of_mismatch_and_counts_it(
    stack, claims, bank, kafka_bootstrap, database_url
):
    claim_id = await paid_out_claim(stack)
    account = await bank.open_account(HOLDER)
    await pay_to(claims, claim_id, await spouse_id(claims, claim_id), account)
    d = await wait_for_lines(claims, claim_id, {"succeeded"})
    by_component = {a["component"]: a["external_id"] for a in d["attempts"]}
    day = next(t["day"] for t in bank.transfers_to(account))
    xml = (await bank.client.get(f"/_statements/{day}")).text

    # The bank's statement, altered as statements go wrong: the funeral transfer missing, the lump
    # sum booked 1,000,000 short, and a debit no Jaring transfer made.
    funeral = re.search(rf"<Ntry>(?:(?!</Ntry>).)*?{by_component['funeral']}.*?</Ntry>", xml, re.S).group(0)
    xml = xml.replace(funeral, "")
    lump = re.search(rf"<Ntry>(?:(?!</Ntry>).)*?{by_component['lump_sum']}.*?</Ntry>", xml, re.S).group(0)
    xml = xml.replace(lump, lump.replace('<Amt Ccy="IDR">20000000.00</Amt>', '<Amt Ccy="IDR">19000000.00</Amt>'))
    stranger = lump.replace(by_component["lump_sum"], "99999999").replace("20000000.00", "7500000.00")
    xml = xml.replace("</Stmt>", stranger + "</Stmt>")
    statement_id = f"STMT-TEST-{uuid.uuid4().hex[:8]}"
    xml = re.sub(r"<Id>STMT-[^<]+</Id>", f"<Id>{statement_id}</Id>", xml, count=1)

    operator = await claims.post("/v1/reconciliation/statements", content=xml.encode(), headers=auth("operator"))
    assert operator.status_code == 403
    imported = await claims.post("/v1/reconciliation/statements", content=xml.encode(), headers=auth("supervisor"))
    assert imported.status_code == 200, imported.text
    ours = {
        (m["kind"], m["end_to_end_id"], m["expected"], m["booked"])
        for m in imported.json()["mismatches"]
        if m["claim_id"] in (claim_id, None)
    }
    assert ours >= {
        ("paid_not_on_statement", by_component["funeral"], 10_000_000, None),
        ("amount_differs", by_component["lump_sum"], 20_000_000, 19_000_000),
        ("unknown_on_statement", "99999999", None, 7_500_000),
    }
    listed = (await claims.get("/v1/reconciliation/mismatches", params={"statement_id": statement_id})).json()
    assert {m["kind"] for m in listed} >= {"paid_not_on_statement", "amount_differs", "unknown_on_statement"}
    assert all(m["action"] for m in listed)
    again = await claims.post("/v1/reconciliation/statements", content=xml.encode(), headers=auth("supervisor"))
    assert again.status_code == 409
    metrics = (await claims.get("/metrics")).text
    assert re.search(r'jaring_reconciliation_mismatches_total\{kind="amount_differs"\} [1-9]', metrics)
    entity = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document>&a;</Document>'
    refused = await claims.post("/v1/reconciliation/statements", content=entity, headers=auth("supervisor"))
    assert refused.status_code == 422 and refused.json()["errors"][0]["type"] == "statement_has_dtd"

    # The console's money page shows them in words, asking claims with the signed-in person's token.
    async with (
        served(claims.app) as claims_url,
        console(kafka_bootstrap, database_url, claims_url=claims_url, name=f"console_{uuid.uuid4().hex[:8]}") as c,
        httpx.AsyncClient(base_url=c.url) as browser,
    ):
        form = await browser.get("/signin")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
        signed_in = await browser.post("/signin", data={"token": token("supervisor"), "nonce": nonce})
        assert signed_in.status_code == 303
        page = await browser.get("/money")
        assert page.status_code == 200, page.text
        assert "jumlah berbeda" in page.text and "Rp 19.000.000" in page.text
        assert "di rekening koran, tidak dikenal" in page.text and statement_id in page.text
        assert "amount_differs</td>" not in page.text  # the kind in words, not its code


async def test_an_account_number_that_looks_like_a_nik_is_refused_and_nothing_is_written(stack, claims):
    claim_id = await paid_out_claim(stack)
    heir = await spouse_id(claims, claim_id)
    refused = await pay_to(claims, claim_id, heir, "7371034506920001")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "account_number_looks_like_nik"
    assert "7371034506920001" not in refused.text
    wrong_field = await claims.put(
        f"/v1/claims/{claim_id}/payees/{heir}/account",
        json={"bank_code": "7371034506920001", "account_number": "1111000001", "account_name": "Muh. Ridwan"},
    )
    assert wrong_field.status_code == 422 and wrong_field.json()["errors"][0]["loc"] == ["body", "bank_code"]
    assert "7371034506920001" not in wrong_field.text
    assert (await disbursement(claims, claim_id))["accounts"] == []

"""Every family gets the right money (issue 12), through claims' HTTP API on real Kafka and
PostgreSQL, with enrollment in the same process: heirs without contact named on the claim,
a minor paid through a wali, the income of the accident's month, a death confirmed, a death
reclassified after payout, transport to hospital, and the late charge when the money is paid
after the deadline. Money leaves through the bank stand-in (docs/disbursement.md): the late charge
and a reclassification's difference are transferred like the payout, each once. Every figure is
worked out by hand beside it."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.disbursement import handlers as disbursement_step
from services.claims.domain.dates import add_months
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today as makassar_today
from shared.contracts.claims import LateChargeRecorded
from shared.contracts.enrollment import (
    CoverageChanged,
    IncomeFrom,
    ParticipantDetails,
    ParticipantDetailsChanged,
    ProtectedPeriod,
)
from shared.envelope import new_envelope
from shared.outbox import add_event
from shared.topics import CLAIM_DECISIONS, DISBURSEMENTS, PAYOUTS
from tests.conftest import BANK_TEST_SECRET
from tests.support.bank import BankStandin, bank_standin
from tests.support.claimants import (
    CHILD,
    JKK_DOCUMENTS,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    NPWP,
    SPOUSE,
    claim_form,
    claim_of,
    covered_participant,
    events_about,
    ledger_lines,
    wait_for_event,
    wait_for_status,
)
from tests.support.kafka_tools import wait_until
from tests.support.services import auth, infra_settings, running
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

FAST = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
JKK_DEATH_DOCUMENTS = {**{k: v for k, v in JKK_DOCUMENTS.items() if k != "ktp"}, **JKM_DEATH_DOCUMENTS}
SUPERVISOR = auth("supervisor", "rahma.supervisor")  # decides: she neither filed nor added documents
HOLDER = "MUHAMMAD RIDWAN"  # how the bank writes "Muh. Ridwan" (tests/support/claimants.SPOUSE)


@pytest.fixture(scope="module")
async def services(kafka_bootstrap, database_url, tmp_path_factory):
    infra = infra_settings(kafka_bootstrap, database_url)
    bank_port = free_port()
    # These tests are about the money each family gets, not the fraud controls: a JKK death of
    # 166,000,000 would otherwise be referred to a supervisor as above the review threshold.
    settings = ClaimsSettings(
        infra=infra,
        review_above_rupiah=10**12,
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
def enrollment(services):
    return services[0]


@pytest.fixture
def claims(services):
    return services[1]


@pytest.fixture
def bank(services) -> BankStandin:
    return services[2]


@pytest.fixture
def today() -> date:
    return makassar_today()


def a_year_before(day: date) -> date:
    return add_months(day, -12)


def rules_of(answer) -> list[tuple[list, str]]:
    return [(e["loc"], e["type"]) for e in answer.json()["errors"]]


async def disbursement(claims: httpx.AsyncClient, claim_id: str) -> dict:
    answer = await claims.get(f"/v1/claims/{claim_id}/disbursement")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def pay_the_widower(claims: httpx.AsyncClient, bank: BankStandin, claim_id: str) -> str:
    """Records an account of his at the bank stand-in for the only payee; the worker transfers."""

    async def lines_taken() -> bool:
        return bool((await disbursement(claims, claim_id))["lines"])

    await wait_until(lines_taken, 30, f"{claim_id}'s disbursement lines")
    widower = (await disbursement(claims, claim_id))["lines"][0]["payee_heir_id"]
    account = await bank.open_account(HOLDER)
    recorded = await claims.put(
        f"/v1/claims/{claim_id}/payees/{widower}/account",
        json={"bank_code": "002", "account_number": account, "account_name": "Muh. Ridwan"},
    )
    assert recorded.status_code == 200, recorded.text
    return account


async def wait_until_paid(claims: httpx.AsyncClient, claim_id: str, lines: int) -> dict:
    """Until the claim has `lines` transfer lines, all succeeded, and says paid."""

    async def paid() -> bool:
        d = await disbursement(claims, claim_id)
        return (
            len(d["lines"]) == lines
            and {x["status"] for x in d["lines"]} == {"succeeded"}
            and (await claim_of(claims, claim_id))["disbursement"]["status"] == "paid"
        )

    await wait_until(paid, 60, f"{claim_id}'s {lines} lines paid and the claim paid")
    return await disbursement(claims, claim_id)


# --- 1. heirs without phone or email, named on the claim; 4. the death confirmed --------------------------


async def test_heirs_without_contact_named_on_the_claim_are_paid_the_full_jkm_benefit(
    enrollment, claims, today, kafka_bootstrap
):
    participant_id = await covered_participant(enrollment, claims, today, member_since=a_year_before(today), heirs=[])
    filed = await claims.post("/v1/claims", json=claim_form(participant_id, "JKM", today, JKM_DEATH_DOCUMENTS))
    claim_id = filed.json()["claim_id"]
    claim = await wait_for_status(claims, claim_id, "needs_review")
    assert [r["code"] for r in claim["reasons"]] == ["NO_HEIR"]

    refused = await claims.post(
        f"/v1/claims/{claim_id}/decision",
        headers=SUPERVISOR,
        json={"decision": "approve", "reason": "the mother came with the KK"},
    )
    assert refused.status_code == 422
    assert rules_of(refused) == [(["body", "decision"], "death_benefit_payee_missing")]
    assert (await claim_of(claims, claim_id))["status"] == "needs_review"

    bad = await claims.post(
        f"/v1/claims/{claim_id}/heirs",
        json={
            "heirs": [
                {
                    "full_name": "Hj. Becce",
                    "relationship": "parent",
                    "birth_date": (today + timedelta(days=1)).isoformat(),
                },
                {"full_name": "  ", "relationship": "parent"},
            ]
        },
    )
    assert bad.status_code == 422
    assert rules_of(bad) == [
        (["body", "heirs", 0, "birth_date"], "birth_date_in_future"),
        (["body", "heirs", 1, "full_name"], "full_name_required"),
    ]
    cousin = await claims.post(
        f"/v1/claims/{claim_id}/heirs", json={"heirs": [{"full_name": "Baso", "relationship": "cousin"}]}
    )
    assert cousin.status_code == 422 and cousin.json()["errors"][0]["loc"] == ["body", "heirs", 0, "relationship"]
    pool = claims.app.state.runtime.pool
    assert await pool.fetchval("SELECT count(*) FROM claims.heirs WHERE participant_id = $1", participant_id) == 0

    # The heir statement names the mother: no phone, no email.
    named = await claims.post(
        f"/v1/claims/{claim_id}/heirs",
        json={"heirs": [{"full_name": "Hj. Becce", "relationship": "parent", "birth_date": "1950-02-01"}]},
    )
    assert named.status_code == 201, named.text
    [mother_id] = named.json()["heir_ids"]

    # The rules run again with the heir: nothing else is in doubt, so the claim is approved and paid.
    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    # 20,000,000 lump sum + 12,000,000 periodic benefit + 10,000,000 funeral, all to the mother.
    assert ledger_lines(claim) == [
        ("funeral", "Hj. Becce", 10_000_000, "cash"),
        ("lump_sum", "Hj. Becce", 20_000_000, "cash"),
        ("periodic_benefit", "Hj. Becce", 12_000_000, "cash"),
    ]
    assert claim["payout"]["total_cash"] == 42_000_000
    assert {x["payee_heir_id"] for x in claim["payout"]["components"]} == {mother_id}

    [heirs_named] = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "HeirsNamedOnClaim")
    assert [
        (h["heir_id"], h["relationship"], h["precedence"], h["phone"], h["email"], h["birth_date"])
        for h in heirs_named.payload["heirs"]
    ] == [(mother_id, "parent", 2, None, None, "1950-02-01")]
    [death] = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "DeathConfirmed")
    assert (death.payload["participant_id"], death.payload["date_of_death"]) == (participant_id, today.isoformat())


# --- 2. a minor heir paid through a wali -------------------------------------------------------------------


async def test_a_minor_heir_is_paid_through_the_wali_named_on_the_claim(enrollment, claims, today, kafka_bootstrap):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[], monthly_income=3_000_000
    )
    # No NPWP yet (166,000,000 > 50,000,000 needs one): the claim waits for review.
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKK_DEATH", today, {**JKK_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(claims, claim_id, "needs_review")
    son_born = add_months(today, -12 * 10)  # ten years old
    named = await claims.post(
        f"/v1/claims/{claim_id}/heirs",
        json={
            "heirs": [
                {"full_name": "Sitti Rahmawati", "relationship": "spouse", "birth_date": "1985-04-12"},
                {"full_name": "Andi Saputra", "relationship": "child", "birth_date": son_born.isoformat()},
            ]
        },
    )
    assert named.status_code == 201, named.text
    widow_id, son_id = named.json()["heir_ids"]

    claim = await wait_for_status(claims, claim_id, "needs_review")
    assert sorted(r["code"] for r in claim["reasons"]) == ["DOCUMENTS_INCOMPLETE", "GUARDIAN_MISSING"]
    adult = await claims.put(
        f"/v1/claims/{claim_id}/guardians", json={widow_id: {"name": "Hj. Becce", "relationship": "ibu"}}
    )
    assert adult.status_code == 422
    assert rules_of(adult) == [(["body", "guardians", widow_id], "guardian_for_adult")]
    assert (await claim_of(claims, claim_id))["guardians"] == {}

    wali = await claims.put(
        f"/v1/claims/{claim_id}/guardians", json={son_id: {"name": "Sitti Rahmawati", "relationship": "ibu"}}
    )
    assert wali.status_code == 200, wali.text
    claim = await wait_for_status(claims, claim_id, "needs_review")
    assert [r["code"] for r in claim["reasons"]] == ["DOCUMENTS_INCOMPLETE"]

    added = await claims.post(f"/v1/claims/{claim_id}/documents", json={"documents": NPWP})
    assert added.json()["status"] == "approved", added.text
    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    # 48 x 3,000,000 = 144,000,000 + funeral 10,000,000 + periodic 12,000,000 = 166,000,000, shared by the
    # widow and her son: 72,000,000 + 5,000,000 + 6,000,000 = 83,000,000 each; the son's through his wali.
    # His scholarship (10 years old, under 23) is an entitlement of 87,000,000 at most.
    lines = sorted(
        (x["component"], x["payee_name"], x["guardian_name"], x["amount"], x["kind"])
        for x in claim["payout"]["components"]
    )
    assert lines == [
        ("death_benefit", "Andi Saputra", "Sitti Rahmawati", 72_000_000, "cash"),
        ("death_benefit", "Sitti Rahmawati", None, 72_000_000, "cash"),
        ("funeral", "Andi Saputra", "Sitti Rahmawati", 5_000_000, "cash"),
        ("funeral", "Sitti Rahmawati", None, 5_000_000, "cash"),
        ("periodic_benefit", "Andi Saputra", "Sitti Rahmawati", 6_000_000, "cash"),
        ("periodic_benefit", "Sitti Rahmawati", None, 6_000_000, "cash"),
        ("scholarship", "Andi Saputra", "Sitti Rahmawati", 87_000_000, "entitlement"),
    ]
    [recorded] = await wait_for_event(kafka_bootstrap, PAYOUTS.name, claim_id, "PayoutRecorded")
    assert {(x["payee_heir_id"], x["guardian_name"]) for x in recorded.payload["components"]} == {
        (son_id, "Sitti Rahmawati"),
        (widow_id, None),
    }


# --- 3. the income of the accident's month ---------------------------------------------------------------


async def test_jkk_death_uses_the_income_declared_for_the_accident_month_not_a_later_raise(enrollment, claims, today):
    participant_id = await covered_participant(
        enrollment,
        claims,
        today,
        member_since=a_year_before(today),
        heirs=[SPOUSE],
        monthly_income=3_000_000,
        name="Daeng Nai",
    )
    # Enrollment announces a raise to 5,000,000 from next month, with the dated history.
    next_month = add_months(today.replace(day=1), 1)
    details = ParticipantDetails(
        masked_nik="737103**********",
        full_name="Daeng Nai (raised)",
        birth_date=date(1980, 1, 1),
        sex="M",
        phone="+6281234500000",
        kecamatan="Tamalate",
        segment="market_trader",
        monthly_income=5_000_000,
        programs=["JKK", "JKM"],
        member_since=a_year_before(today),
        income_history=[
            IncomeFrom(effective_from=a_year_before(today).strftime("%Y-%m"), monthly_income=3_000_000),
            IncomeFrom(effective_from=next_month.strftime("%Y-%m"), monthly_income=5_000_000),
        ],
    )
    async with enrollment.app.state.runtime.pool.acquire() as conn, conn.transaction():
        await add_event(
            conn,
            new_envelope(
                ParticipantDetailsChanged(participant_id=participant_id, details=details),
                correlation_id=participant_id,
                producer="enrollment",
            ),
            "enrollment",
        )
    pool = claims.app.state.runtime.pool

    async def history_arrived() -> bool:
        return bool(
            await pool.fetchval(
                "SELECT jsonb_array_length(income_history) FROM claims.participants WHERE participant_id = $1",
                participant_id,
            )
        )

    await wait_until(history_arrived, 30, "claims' read model to hold the dated incomes")
    filed = await claims.post(
        "/v1/claims",
        json=claim_form(participant_id, "JKK_DEATH", today, {**JKK_DEATH_DOCUMENTS, **MARRIAGE_BOOK, **NPWP}),
    )
    claim = await wait_for_status(claims, filed.json()["claim_id"], "payout_recorded")
    # The accident is this month, when 3,000,000 was declared: 48 x 3,000,000 = 144,000,000 (not 48 x 5,000,000).
    assert [x["amount"] for x in claim["payout"]["components"] if x["component"] == "death_benefit"] == [144_000_000]
    assert claim["payout"]["total_cash"] == 144_000_000 + 10_000_000 + 12_000_000


def month_list(first: date, count: int) -> list[str]:
    return [add_months(first, i).strftime("%Y-%m") for i in range(count)]


async def test_jkm_scholarship_counts_the_months_paid_up_to_the_death_only(enrollment, claims, today):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=add_months(today, -40), heirs=[SPOUSE, CHILD]
    )
    # Enrollment reports 37 paid months: the 35 up to and including this month, and 2 paid ahead.
    this_month = today.replace(day=1)
    paid = month_list(add_months(this_month, -34), 37)
    coverage = CoverageChanged(
        participant_id=participant_id,
        status="active",
        as_of=today,
        paid_months=37,
        paid_periods=paid,
        last_paid_period=paid[-1],
        protected_periods=[ProtectedPeriod(start=add_months(this_month, -34), end=add_months(this_month, 5))],
    )
    async with enrollment.app.state.runtime.pool.acquire() as conn, conn.transaction():
        await add_event(
            conn, new_envelope(coverage, correlation_id=participant_id, producer="enrollment"), "enrollment"
        )
    pool = claims.app.state.runtime.pool

    async def periods_arrived() -> bool:
        return (
            await pool.fetchval(
                "SELECT cardinality(paid_periods) FROM claims.participants WHERE participant_id = $1", participant_id
            )
            == 37
        )

    await wait_until(periods_arrived, 30, "claims' read model to hold the paid months")
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    claim = await wait_for_status(claims, filed.json()["claim_id"], "payout_recorded")
    # Died this month: 35 months count (< 36), so no scholarship, though 37 were paid. Cash 42,000,000
    # split by the widower and the daughter: 10,000,000 + 6,000,000 + 5,000,000 = 21,000,000 each.
    assert [x for x in claim["payout"]["components"] if x["kind"] == "entitlement"] == []
    assert claim["payout"]["total_cash"] == 42_000_000


# --- 5. a death reclassified after payout -----------------------------------------------------------------


async def test_jkm_reclassified_as_jkk_death_after_payout_pays_the_difference_once(
    enrollment, claims, bank, today, kafka_bootstrap
):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE], monthly_income=3_000_000
    )
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    claim_id = filed.json()["claim_id"]
    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    assert claim["payout"]["total_cash"] == 42_000_000
    account = await pay_the_widower(claims, bank, claim_id)
    await wait_until_paid(claims, claim_id, lines=3)

    # A second claim for the same death is refused, pointing at the first and the reclassification route.
    again = await claims.post("/v1/claims", json=claim_form(participant_id, "JKK_DEATH", today, JKK_DEATH_DOCUMENTS))
    assert again.status_code == 409
    assert again.json()["existing_id"] == claim_id
    assert f"/v1/claims/{claim_id}/reclassification" in again.json()["detail"]

    url = f"/v1/claims/{claim_id}/reclassification"
    reason = "the chronology and two witnesses show he fell from the market roof at work"
    assert (await claims.post(url, json={"claim_type": "JKK_DEATH", "reason": reason})).status_code == 403
    same = await claims.post(url, json={"claim_type": "JKM", "reason": reason}, headers=auth("supervisor"))
    assert same.status_code == 422 and rules_of(same) == [(["body", "claim_type"], "reclassification_same_type")]
    assert (await claim_of(claims, claim_id))["claim_type"] == "JKM"

    done = await claims.post(
        url, json={"claim_type": "JKK_DEATH", "reason": reason}, headers=auth("supervisor", "rahma.supervisor")
    )
    assert done.status_code == 200, done.text
    # JKK death of a 3,000,000 earner: 166,000,000; 42,000,000 already paid: 124,000,000 more.
    assert done.json() == {
        "claim_id": claim_id,
        "claim_type": "JKK_DEATH",
        "difference_paid": 124_000_000,
        "overpaid": 0,
    }
    claim = await claim_of(claims, claim_id)
    assert claim["claim_type"] == "JKK_DEATH"
    assert ledger_lines(claim) == [
        ("funeral", "Muh. Ridwan", 10_000_000, "cash"),
        ("lump_sum", "Muh. Ridwan", 20_000_000, "cash"),
        ("periodic_benefit", "Muh. Ridwan", 12_000_000, "cash"),
        ("reclassification_adjustment", "Muh. Ridwan", 124_000_000, "cash"),
    ]
    assert claim["payout"]["total_cash"] == 166_000_000
    [event] = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "ClaimReclassified")
    assert (
        event.payload["from_type"],
        event.payload["claim_type"],
        event.payload["total_cash"],
        event.payload["reason"],
    ) == ("JKM", "JKK_DEATH", 124_000_000, reason)
    # What a family message needs: who receives the difference, and how much.
    assert [(x["component"], x["payee_name"], x["amount"]) for x in event.payload["components"]] == [
        ("reclassification_adjustment", "Muh. Ridwan", 124_000_000)
    ]
    pool = claims.app.state.runtime.pool
    audit = await pool.fetch("SELECT actor, action FROM claims.audit_log WHERE subject_id = $1 ORDER BY id", claim_id)
    assert [(r["actor"], r["action"]) for r in audit][-1] == ("rahma.supervisor", "claim.reclassify")

    # The difference goes to the bank like the payout did: one more line, one transfer, to the
    # account already recorded; the claim is paid again once it has landed.
    d = await wait_until_paid(claims, claim_id, lines=4)
    assert [(x["component"], x["entry"], x["amount"]) for x in d["lines"] if x["entry"]] == [
        ("reclassification_adjustment", 1, 124_000_000)
    ]
    assert sorted(t["amount"] for t in bank.succeeded() if t["account_no"] == account) == [
        10_000_000,
        12_000_000,
        20_000_000,
        124_000_000,
    ]
    assert d["totals"]["held_by_payees"] == 166_000_000 and d["totals"]["outstanding"] == 0

    # And back: JKM gives 42,000,000 and 166,000,000 was paid. Nothing negative is recorded; the
    # 124,000,000 paid beyond it is flagged for a supervisor.
    back = await claims.post(
        url, json={"claim_type": "JKM", "reason": "the coroner found a heart attack"}, headers=auth("supervisor")
    )
    assert back.json()["difference_paid"] == 0 and back.json()["overpaid"] == 124_000_000
    claim = await claim_of(claims, claim_id)
    assert claim["payout"]["total_cash"] == 166_000_000
    assert all(x["amount"] >= 0 for x in claim["payout"]["components"])
    assert "124.000.000" in claim["supervisor_flag"]
    # Nothing more leaves: still the four transfers, the difference sent once.
    assert len((await disbursement(claims, claim_id))["lines"]) == 4
    assert sorted(t["amount"] for t in bank.transfers_to(account)) == [10_000_000, 12_000_000, 20_000_000, 124_000_000]
    sent = [
        e.payload
        for e in await events_about(kafka_bootstrap, DISBURSEMENTS.name, claim_id)
        if e.type == "TransferStatusChanged" and e.payload["status"] == "succeeded"
    ]
    assert sorted(x["component"] for x in sent) == [
        "funeral",
        "lump_sum",
        "periodic_benefit",
        "reclassification_adjustment",
    ]


# --- 6. transport to hospital ------------------------------------------------------------------------------


async def test_transport_to_hospital_is_paid_up_to_each_modes_cap(enrollment, claims, today):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    negative = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKK", today, JKK_DOCUMENTS, transport_costs={"land": -5})
    )
    assert negative.status_code == 422 and negative.json()["errors"][0]["loc"] == ["body", "transport_costs", "land"]
    for_jkm = await claims.post(
        "/v1/claims",
        json=claim_form(participant_id, "JKM", today, JKM_DEATH_DOCUMENTS, transport_costs={"land": 100_000}),
    )
    assert for_jkm.status_code == 422 and rules_of(for_jkm) == [(["body", "transport_costs"], "not_for_claim_type")]
    assert (await claims.get("/v1/claims", params={"participant_id": participant_id})).json() == []

    filed = await claims.post(
        "/v1/claims",
        json=claim_form(
            participant_id,
            "JKK",
            today,
            JKK_DOCUMENTS,
            incapacity_days=3,
            transport_costs={"land": 1_250_000, "sea": 700_000},
        ),
    )
    assert filed.status_code == 202, filed.text
    claim = await wait_for_status(claims, filed.json()["claim_id"], "payout_recorded")
    worker = (await enrollment.get(f"/v1/participants/{participant_id}")).json()["full_name"]
    # Land capped at 1,000,000 + sea 700,000 (under 1,500,000) = 1,700,000; STMB 2,000,000 x 3 / 30 = 200,000.
    assert ledger_lines(claim) == [
        ("temporary_incapacity", worker, 200_000, "cash"),
        ("transport", worker, 1_700_000, "cash"),
    ]


# --- 8. the late charge -------------------------------------------------------------------------------------


async def test_money_paid_after_the_deadline_owes_1_percent_a_day_transferred_once(
    enrollment, claims, bank, today, kafka_bootstrap
):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(claims, claim_id, "payout_recorded")
    # The claim's deadline is in the future today; set it 5 days back, as if the transfer were late.
    pool = claims.app.state.runtime.pool
    deadline = today - timedelta(days=5)
    await pool.execute("UPDATE claims.claims SET sla_deadline = $2 WHERE claim_id = $1", claim_id, deadline)

    # The bank pays the three lines; where the last lands the late charge is recorded, and it goes
    # to the bank as a line of its own. The claim is paid once it has landed too.
    account = await pay_the_widower(claims, bank, claim_id)
    d = await wait_until_paid(claims, claim_id, lines=4)
    claim = await claim_of(claims, claim_id)
    # 42,000,000 x 1 % x 5 days = 2,100,000 to the widower.
    assert [
        (x["component"], x["payee_name"], x["amount"])
        for x in claim["payout"]["components"]
        if x["component"] == "late_charge"
    ] == [("late_charge", "Muh. Ridwan", 2_100_000)]
    assert claim["payout"]["total_cash"] == 42_000_000 + 2_100_000
    [late] = await wait_for_event(kafka_bootstrap, PAYOUTS.name, claim_id, "LateChargeRecorded")
    assert (late.payload["days_late"], late.payload["total_cash"], late.payload["payment_deadline"]) == (
        5,
        2_100_000,
        deadline.isoformat(),
    )
    # What a family message needs: who is owed the charge, and how much.
    assert [(x["payee_heir_id"], x["payee_name"], x["amount"]) for x in late.payload["components"]] == [
        (d["lines"][0]["payee_heir_id"], "Muh. Ridwan", 2_100_000)
    ]
    assert sorted(t["amount"] for t in bank.transfers_to(account)) == [2_100_000, 10_000_000, 12_000_000, 20_000_000]
    assert d["totals"]["held_by_payees"] == 44_100_000 and d["totals"]["outstanding"] == 0

    # Paid once, after the late charge too; the charge is neither recorded nor sent again.
    async def paid_announcements() -> list:
        return [
            e
            for e in await events_about(kafka_bootstrap, PAYOUTS.name, claim_id)
            if e.type == "DisbursementChanged" and e.payload["status"] == "paid"
        ]

    async def announced() -> bool:
        return bool(await paid_announcements())

    await wait_until(announced, 30, "DisbursementChanged paid on claims.payouts.v1")
    assert len(await paid_announcements()) == 1
    steps = [s["step"] for s in (await claim_of(claims, claim_id))["steps"]]
    assert steps.count("late_charge_recorded") == 1 and steps.count("disbursement_paid") == 1
    assert steps.index("late_charge_recorded") < steps.index("disbursement_paid")
    assert len(await wait_for_event(kafka_bootstrap, PAYOUTS.name, claim_id, "LateChargeRecorded")) == 1
    # The event delivered again (a consumer restarted before its offset was committed): no new line.
    async with pool.acquire() as conn, conn.transaction():
        await disbursement_step.on_late_charge_recorded(conn, late, LateChargeRecorded.model_validate(late.payload))
    assert len((await disbursement(claims, claim_id))["lines"]) == 4
    assert len([t for t in bank.transfers_to(account) if t["amount"] == 2_100_000]) == 1


async def test_money_paid_by_the_deadline_owes_no_late_charge(enrollment, claims, bank, today):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(claims, claim_id, "payout_recorded")
    await pay_the_widower(claims, bank, claim_id)
    d = await wait_until_paid(claims, claim_id, lines=3)
    claim = await claim_of(claims, claim_id)
    assert [x["component"] for x in claim["payout"]["components"] if x["component"] == "late_charge"] == []
    assert claim["payout"]["total_cash"] == 42_000_000
    assert d["totals"]["held_by_payees"] == 20_000_000 + 12_000_000 + 10_000_000


async def test_a_death_reclassified_before_payout_is_judged_again_as_the_new_type(
    enrollment, claims, today, kafka_bootstrap
):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE], monthly_income=3_000_000
    )
    # Filed as JKM without the death certificate: it waits for review.
    documents = {k: v for k, v in {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}.items() if k != "death_certificate"}
    filed = await claims.post("/v1/claims", json=claim_form(participant_id, "JKM", today, documents))
    claim_id = filed.json()["claim_id"]
    assert (await wait_for_status(claims, claim_id, "needs_review"))["missing_documents"] == ["death_certificate"]

    done = await claims.post(
        f"/v1/claims/{claim_id}/reclassification",
        headers=auth("supervisor"),
        json={"claim_type": "JKK_DEATH", "reason": "he died of a fall at work"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["difference_paid"] == 0 and done.json()["overpaid"] == 0
    claim = await claim_of(claims, claim_id)
    # As a JKK death it also needs JKK's documents and, at 166,000,000 > 50,000,000, an NPWP.
    assert claim["claim_type"] == "JKK_DEATH" and claim["status"] == "needs_review"
    assert claim["missing_documents"] == [
        "death_certificate",
        "accident_chronology",
        "witness_ktp_1",
        "witness_ktp_2",
        "medical_report",
        "npwp",
    ]
    assert claim["payout"]["components"] == []
    [event] = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "ClaimReclassified")
    assert (event.payload["after_payout"], event.payload["components"]) == (False, [])

"""Money added after the payout reaches the person it is paid to (issue 12): a death reclassified
after payout (the difference) and money paid after the deadline (the late charge). On the real
Kafka and PostgreSQL, through claims' API and the bank stand-in; the family's phone shows the
WhatsApp template from the catalogue with its parameters. Figures are worked out by hand."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from services.claims.domain.dates import add_months
from shared.clock import today as makassar_today
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    claim_form,
    covered_participant,
    wait_for_status,
)
from tests.support.families import messages_to
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import Pipeline, pipeline
from tests.support.services import auth

pytestmark = pytest.mark.e2e


async def widower_with_jkm_claim(p: Pipeline, **participant: int) -> tuple[str, str]:
    """A covered participant whose widower has a phone, and their JKM claim, payout recorded.
    Returns (claim_id, the widower's phone as +62…)."""
    phone = f"0813{random.randint(10_000_000, 99_999_999)}"  # this test's family alone
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment,
        p.claims,
        today,
        member_since=add_months(today, -12),
        heirs=[{"full_name": "Muh. Ridwan", "relationship": "spouse", "phone": phone}],
        **participant,
    )
    filed = await p.claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "payout_recorded")
    return claim_id, "+62" + phone[1:]


async def told(p: Pipeline, phone: str, containing: str, timeout: float = 60) -> list[dict]:
    found: list[dict] = []

    async def arrived() -> bool:
        found[:] = [m for m in await messages_to(p.provider, phone) if containing in m["text"]]
        return bool(found)

    await wait_until(arrived, timeout, f"a message to {phone[-3:]} containing {containing!r}")
    return found


async def test_a_death_reclassified_after_payout_tells_the_widower_the_difference_once(
    kafka_bootstrap, database_url, tmp_path
):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        claim_id, phone = await widower_with_jkm_claim(p, monthly_income=3_000_000)
        done = await p.claims.post(
            f"/v1/claims/{claim_id}/reclassification",
            headers=auth("supervisor"),
            json={"claim_type": "JKK_DEATH", "reason": "he fell from the market roof at work"},
        )
        assert done.status_code == 200, done.text
        # JKK death of a 3,000,000 earner: 166,000,000; 42,000,000 already recorded: 124,000,000 more.
        [message] = await told(p, phone, "Anda menerima tambahan")
        assert message["channel"] == "whatsapp"
        text = message["text"]
        assert text.index("Turut berduka cita atas meninggalnya") < text.index("Yang perlu Anda lakukan sekarang")
        assert "Kekurangan bayar setelah jenis klaim diperbaiki: Rp 124.000.000 untuk Muh. Ridwan" in text
        assert "Klaim meninggal karena kecelakaan kerja (JKK) (NIK 7371" in text  # the corrected type

        async def queued() -> list[dict]:
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return [r for r in rows if r["event_type"] == "ClaimReclassified"]

        # The provider has the message a moment before notifications records its answer: wait for that.
        async def recorded() -> bool:
            return [(r["channel"], r["status"]) for r in await queued()] != [("whatsapp", "sending")]

        await wait_until(recorded, 30, "the provider's answer recorded")
        assert [(r["channel"], r["status"]) for r in await queued()] == [("whatsapp", "delivered")]


async def test_money_paid_after_the_deadline_tells_the_payee_the_late_charge(kafka_bootstrap, database_url, tmp_path):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        claim_id, phone = await widower_with_jkm_claim(p)

        async def lines() -> list[dict]:
            return (await p.claims.get(f"/v1/claims/{claim_id}/disbursement")).json()["lines"]

        async def received() -> bool:
            found = await lines()
            return len(found) == 3 and {x["status"] for x in found} == {"received"}

        await wait_until(received, 60, "three lines received")
        # The deadline is days ahead today; set it 5 days back, as if the transfer were late.
        deadline = makassar_today() - timedelta(days=5)
        await p.claims.app.state.runtime.pool.execute(
            "UPDATE claims.claims SET sla_deadline = $2 WHERE claim_id = $1", claim_id, deadline
        )
        heir = (await lines())[0]["payee_heir_id"]
        account = await p.bank.open_account("MUHAMMAD RIDWAN")
        recorded = await p.claims.put(
            f"/v1/claims/{claim_id}/payees/{heir}/account",
            json={"bank_code": "002", "account_number": account, "account_name": "Muh. Ridwan"},
        )
        assert recorded.status_code == 200, recorded.text

        # 42,000,000 x 1 % x 5 days = 2,100,000 to the widower.
        [message] = await told(p, phone, "terlambat 5 hari")
        text = message["text"]
        assert "Denda karena pembayaran terlambat (1 persen per hari): Rp 2.100.000 untuk Muh. Ridwan" in text
        assert (
            text.index("Turut berduka cita")
            < text.index("Yang perlu Anda lakukan sekarang")
            < text.index("terlambat 5 hari")
        )

"""A closed account, as the family lives it: one message saying the bank refused the account and
what to bring, then, once the officer records another account, one saying the money was sent."""

from __future__ import annotations

import random
from datetime import date

import pytest

from services.claims.domain.dates import add_months
from tests.support.claimants import JKM_DEATH_DOCUMENTS, MARRIAGE_BOOK, claim_form, covered_participant
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import pipeline

pytestmark = pytest.mark.e2e


async def test_a_refused_account_tells_the_family_once_and_the_new_account_is_paid(
    kafka_bootstrap, database_url, tmp_path
):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        phone = f"0813{random.randint(10_000_000, 99_999_999)}"  # this test's family alone
        spouse = {"full_name": "Muh. Ridwan", "relationship": "spouse", "phone": phone}
        today = date.today()
        participant_id = await covered_participant(
            p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[spouse]
        )
        filed = await p.claims.post(
            "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
        )
        claim_id = filed.json()["claim_id"]

        async def lines() -> list[dict]:
            return (await p.claims.get(f"/v1/claims/{claim_id}/disbursement")).json()["lines"]

        async def three(status: str) -> bool:
            found = await lines()
            return len(found) == 3 and {x["status"] for x in found} == {status}

        await wait_until(lambda: three("received"), 60, "three lines received")
        heir = (await lines())[0]["payee_heir_id"]
        closed = await p.bank.open_account("MUHAMMAD RIDWAN", "4")
        await p.claims.put(
            f"/v1/claims/{claim_id}/payees/{heir}/account",
            json={"bank_code": "002", "account_number": closed, "account_name": "Muh. Ridwan"},
        )
        await wait_until(lambda: three("rejected"), 30, "the closed account's lines rejected")

        async def messages(kind: str) -> list[dict]:
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return [r for r in rows if r["event_type"] == kind]

        async def told_once() -> bool:
            return len(await messages("TransferRejected")) == 1

        await wait_until(told_once, 30, "one message about the refused account")

        good = await p.bank.open_account("MUHAMMAD RIDWAN")
        await p.claims.put(
            f"/v1/claims/{claim_id}/payees/{heir}/account",
            json={"bank_code": "002", "account_number": good, "account_name": "Muh. Ridwan"},
        )
        await wait_until(lambda: three("succeeded"), 30, "the new account paid")

        async def paid_told() -> bool:
            return len(await messages("DisbursementPaid")) == 1

        await wait_until(paid_told, 30, "the family told the money was sent")

        async def whatsapp_refused() -> list[str]:
            sent = [
                str(r.get("body"))
                for r in (await p.provider.get("/_requests")).json()
                if r.get("channel") == "whatsapp" and "62" + phone[1:] in str(r.get("body"))
            ]
            return [t for t in sent if "rekening sudah ditutup" in t]

        await wait_until(whatsapp_refused, 30, "the WhatsApp message about the closed account sent")
        refused = await whatsapp_refused()
        assert len(refused) == 1 and "buku tabungan rekening lain" in refused[0]
        assert len(await messages("TransferRejected")) == 1  # three lines, one message

"""After the money lands, a payee paid more than Rp 50,000,000 is asked whether it arrived; a
signed "TIDAK" from their phone flags the claim for follow-up. Forged and replayed replies are
refused. Real Kafka, PostgreSQL, bank and SMS/WhatsApp stand-ins."""

from __future__ import annotations

import json
import random
import uuid
from datetime import date

import pytest

from services.claims.domain.dates import add_months
from shared import snap
from tests.conftest import INBOUND_TEST_SECRET
from tests.support.claimants import (
    JKK_DOCUMENTS,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    NPWP,
    claim_form,
    covered_participant,
)
from tests.support.families import messages_to
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import pipeline
from tests.support.services import auth

pytestmark = pytest.mark.e2e
INBOUND = "/v1/inbound"


def signed(body: bytes, secret: str = INBOUND_TEST_SECRET) -> dict[str, str]:
    stamp = snap.timestamp()
    return {
        "content-type": "application/json",
        "X-TIMESTAMP": stamp,
        "X-EXTERNAL-ID": uuid.uuid4().hex,
        "X-SIGNATURE": snap.signature(secret, "POST", INBOUND, body, stamp),
    }


async def test_a_payee_who_says_tidak_flags_the_claim_and_forged_or_replayed_replies_are_refused(
    kafka_bootstrap, database_url, tmp_path
):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        phone = f"0813{random.randint(10_000_000, 99_999_999)}"
        e164 = "+62" + phone[1:]
        spouse = {"full_name": "Muh. Ridwan", "relationship": "spouse", "phone": phone}
        today = date.today()
        participant_id = await covered_participant(
            p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[spouse], monthly_income=3_000_000
        )
        documents = {
            **{k: v for k, v in JKK_DOCUMENTS.items() if k != "ktp"},
            **JKM_DEATH_DOCUMENTS,
            **MARRIAGE_BOOK,
            **NPWP,
        }
        filed = await p.claims.post(
            "/v1/claims",
            json=claim_form(participant_id, "JKK_DEATH", today, documents, cause="fell from the scaffolding"),
        )
        claim_id = filed.json()["claim_id"]

        # 166,000,000 is above the review threshold (100,000,000): a supervisor looks first and approves.
        async def referred() -> bool:
            claim = (await p.claims.get(f"/v1/claims/{claim_id}")).json()
            return claim["status"] == "needs_review" and [r["code"] for r in claim["reasons"]] == [
                "ABOVE_REVIEW_THRESHOLD"
            ]

        await wait_until(referred, 60, "the large claim referred to a supervisor")
        approved = await p.claims.post(
            f"/v1/claims/{claim_id}/decision",
            headers=auth("supervisor", "rahma.supervisor"),
            json={"decision": "approve", "reason": "chronology and witnesses agree"},
        )
        assert approved.status_code == 200, approved.text

        async def lines() -> list[dict]:
            return (await p.claims.get(f"/v1/claims/{claim_id}/disbursement")).json()["lines"]

        async def all_status(status: str) -> bool:
            found = await lines()
            return len(found) == 3 and {x["status"] for x in found} == {status}

        await wait_until(lambda: all_status("received"), 60, "the widower's three lines")
        heir = (await lines())[0]["payee_heir_id"]
        account = await p.bank.open_account("MUHAMMAD RIDWAN")
        await p.claims.put(
            f"/v1/claims/{claim_id}/payees/{heir}/account",
            json={"bank_code": "002", "account_number": account, "account_name": "Muh. Ridwan"},
        )
        await wait_until(lambda: all_status("succeeded"), 30, "the three transfers")

        # 3,000,000 x 48 = 144,000,000 + funeral 10,000,000 + periodic 12,000,000 = 166,000,000 > 50,000,000:
        # always asked (the random sample is 0 % in tests).
        async def asked() -> list[str]:  # as the widower's phone shows it
            return [
                m["text"]
                for m in await messages_to(p.provider, e164)
                if "Apakah Anda sudah menerima Rp 166.000.000?" in m["text"]
            ]

        await wait_until(asked, 30, "the question sent by WhatsApp")

        forged_body = json.dumps({"id": "in-forged", "from": e164, "text": "YA", "channel": "whatsapp"}).encode()
        forged = await p.notifications.post(
            INBOUND, content=forged_body, headers=signed(forged_body, secret="public-default-string")
        )
        assert forged.status_code == 401

        reply = await p.provider.post("/_control/inbound", json={"from": e164, "text": "Tidak, belum masuk"})
        assert reply.json()["delivered"] is True and reply.json()["answer"]["receipt_answer"] == "no"

        async def flagged() -> bool:
            follow_ups = (await p.claims.get("/v1/follow-ups")).json()
            return any(f["claim_id"] == claim_id and f["reason"] == "money_not_received" for f in follow_ups)

        await wait_until(flagged, 30, "the claim flagged for follow-up")
        steps = [s["step"] for s in (await p.claims.get(f"/v1/claims/{claim_id}")).json()["steps"]]
        assert steps.count("receipt_check_requested") == 1 and steps.count("receipt_no") == 1

        # The same signed request twice: the second is a replay.
        body = json.dumps({"id": f"in-{uuid.uuid4().hex}", "from": e164, "text": "YA", "channel": "whatsapp"}).encode()
        headers = signed(body)
        first = await p.notifications.post(INBOUND, content=body, headers=headers)
        again = await p.notifications.post(INBOUND, content=body, headers=headers)
        assert (first.status_code, again.status_code) == (200, 409)
        assert first.json()["receipt_answer"] is None  # the question was answered already

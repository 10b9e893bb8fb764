"""Issue 19: cover that does not lapse silently. Self-paid workers in grace are reminded in the
first grace month and in the week before cover ends, with the exact amount (discounts applied);
nobody once paid, no city-paid worker (the city's office gets a list), nobody who answered STOP.
Real Kafka, PostgreSQL and the provider stand-in; time injected through the sweep's as_of.

The months are pinned around the end of PP 50/2025's discount for non-drivers (April to December
2026), so the two reminders show a discounted and an undiscounted month: the last paid month is
November 2026, cover is in grace in December 2026 and January 2027 and ends on 31 January 2027."""

from __future__ import annotations

import json
import random

import pytest

from tests.support.kafka_tools import wait_until
from tests.support.pipeline import pipeline
from tests.support.services import auth, participant_form

pytestmark = pytest.mark.e2e

KECAMATAN = "Kepulauan Sangkarrang"  # no other test enrols here: the per-kecamatan counts are this test's
FIRST_SWEEP = "2026-12-10"  # in December 2026, the first grace month
LAST_SWEEP = "2027-01-28"  # within 7 days of 31 January 2027, when cover ends
# Every payment arrived on 20 November 2026. Coverage is stored as of the day a payment is recorded
# (the real day), and the sweeps move it on from there: this test holds until cover would have
# ended, 31 January 2027; after that the worker is stored as lapsed and no sweep reminds them.
PAID_AT = "2026-11-20"


async def enrol(p, name: str, payments: list[tuple[str, int, str]]) -> dict:
    phone = f"+62812{random.randint(10_000_000, 99_999_999)}"
    form = participant_form(
        full_name=name,
        phone=phone,
        kecamatan=KECAMATAN,
        member_since="2026-06-01",
        segment="market_trader",
        monthly_income=2_000_000,
        heirs=[],
    )
    enrolled = await p.enrollment.post("/v1/participants", json=form)
    assert enrolled.status_code == 201, enrolled.text
    participant_id = enrolled.json()["participant_id"]
    for period, amount, payer in payments:
        paid = await p.enrollment.post(
            f"/v1/participants/{participant_id}/contributions",
            json={"period": period, "amount": amount, "payer": payer, "paid_at": PAID_AT},
        )
        assert paid.status_code == 201, paid.text
    return {"participant_id": participant_id, "phone": phone, "name": name}


def whatsapp_to(requests: list[dict], phone: str) -> list[dict]:
    return [r for r in requests if r.get("channel") == "whatsapp" and phone[1:] in json.dumps(r.get("body"))]


async def test_reminders_reach_self_paid_workers_in_grace_with_the_exact_amount_and_stop_when_they_should(
    kafka_bootstrap, database_url, tmp_path
):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        tag = random.randint(1000, 9999)
        # Market traders declaring Rp 2,000,000: JKK 1 % = 20,000 + JKM 6,800 = 26,800 a month;
        # with the 50 % discount of April-December 2026: 13,400. The city pays the full 26,800.
        late = await enrol(p, f"Daeng Lupa {tag}", [("2026-11", 13_400, "self")])
        paid_up = await enrol(
            p,
            f"Daeng Rajin {tag}",
            [("2026-11", 13_400, "self"), ("2026-12", 13_400, "self"), ("2027-01", 26_800, "self")],
        )
        city = await enrol(p, f"Daeng Kota {tag}", [("2026-11", 26_800, "city")])
        stopper = await enrol(p, f"Daeng Berhenti {tag}", [("2026-11", 13_400, "self")])
        before = (await p.enrollment.get("/v1/reminders")).json()
        counted_before = before["by_kecamatan"].get(KECAMATAN, {"first_grace_month": 0, "before_lapse": 0})

        supervisor = auth("supervisor")
        first = await p.enrollment.post("/v1/coverage/sweep", params={"as_of": FIRST_SWEEP}, headers=supervisor)
        assert first.status_code == 200, first.text

        async def first_reminders_sent() -> bool:
            requests = (await p.provider.get("/_requests")).json()
            return len(whatsapp_to(requests, late["phone"])) == 1 and len(whatsapp_to(requests, stopper["phone"])) == 1

        await wait_until(first_reminders_sent, 60, "the first-grace-month reminders on WhatsApp")
        requests = (await p.provider.get("/_requests")).json()
        [reminder] = whatsapp_to(requests, late["phone"])
        body = json.dumps(reminder["body"])
        # December 2026 alone, discounted: 13,400; cover ends on the last day of January 2027.
        assert "jaring_contribution_reminder_first" in body
        assert "Rp 13.400" in body and "Desember 2026" in body and "31 Januari 2027" in body
        assert whatsapp_to(requests, paid_up["phone"]) == []  # paid through January: active, nothing to remind
        assert whatsapp_to(requests, city["phone"]) == []  # the city pays: not messaged...
        missing = (await p.enrollment.get("/v1/city-payments/missing")).json()
        assert [m["last_paid_period"] for m in missing if m["participant_id"] == city["participant_id"]] == ["2026-11"]
        assert not any(m["participant_id"] in (late["participant_id"], stopper["participant_id"]) for m in missing)

        # The second worker answers STOP from their phone: the provider stand-in signs it to notifications' webhook.
        inbound = await p.provider.post(
            "/_control/inbound", json={"from": stopper["phone"], "text": " stop ", "channel": "whatsapp"}
        )
        assert inbound.status_code == 200 and inbound.json()["delivered"], inbound.text

        async def stop_recorded() -> bool:
            return (await p.enrollment.get("/v1/reminders")).json()["stopped"] == before["stopped"] + 1

        await wait_until(stop_recorded, 30, "enrollment to read STOP")

        last = await p.enrollment.post("/v1/coverage/sweep", params={"as_of": LAST_SWEEP}, headers=supervisor)
        assert last.status_code == 200, last.text

        async def last_reminder_sent() -> bool:
            return len(whatsapp_to((await p.provider.get("/_requests")).json(), late["phone"])) == 2

        await wait_until(last_reminder_sent, 60, "the reminder in the week before cover ends")
        requests = (await p.provider.get("/_requests")).json()
        body = json.dumps(whatsapp_to(requests, late["phone"])[1]["body"])
        # December 2026 (13,400, discounted) + January 2027 (26,800, the discount has ended) = 40,200.
        assert "jaring_contribution_reminder_last" in body
        assert "Rp 40.200" in body and "Desember 2026 dan Januari 2027" in body and "31 Januari 2027" in body
        assert len(whatsapp_to(requests, stopper["phone"])) == 1  # STOP honoured: no second reminder
        assert whatsapp_to(requests, paid_up["phone"]) == [] and whatsapp_to(requests, city["phone"]) == []

        # Counted per kecamatan: two first reminders (the late worker and the one who stopped), one last.
        after = (await p.enrollment.get("/v1/reminders")).json()["by_kecamatan"][KECAMATAN]
        assert after["first_grace_month"] - counted_before["first_grace_month"] == 2
        assert after["before_lapse"] - counted_before["before_lapse"] == 1

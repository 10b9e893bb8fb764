"""A worker's death, from registration to the family's messages, across the three services
on real Kafka, PostgreSQL and the local SMTP server."""

from __future__ import annotations

import email
import email.policy
import random
from datetime import date

import pytest

from services.enrollment.domain import Period, contribution_due
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import pipeline
from tests.support.services import participant_form

pytestmark = pytest.mark.e2e

JKM_DOCUMENTS = {
    "participant_card": "KPJ-26-0001",
    "ktp_deceased": "7371034506920001",
    "ktp_heir": "7371031203900002",
    "family_card": "7371030101100003",
    "death_certificate": "AKT-474-2026-11",
    "heir_statement": "SKAW-12/2026",
    "marriage_book": "KUA-0042/2012",
    "bank_account": "BRI 0123-01-000123-50-1",
}


def mail_text(path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return message["Subject"] + "\n" + message.get_body(("plain",)).get_content()


async def claim_status(claims, claim_id: str) -> str:
    return (await claims.get(f"/v1/claims/{claim_id}")).json()["status"]


async def test_jkm_death_pays_42_million_and_each_heir_hears_once_per_event(kafka_bootstrap, database_url, tmp_path):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        # A market trader, member since January, with two heirs: the husband (phone only)
        # and a daughter (email only, reads English).
        # Contacts of this test alone: every test's claims reach the session's notifications.
        husband_phone = f"0813{random.randint(10_000_000, 99_999_999)}"
        daughter_email = f"nurul.{random.randint(1, 10**9)}@example.id"
        form = participant_form(
            member_since="2026-01-12",
            heirs=[
                {"full_name": "Andi Baso", "relationship": "spouse", "phone": husband_phone},
                {"full_name": "Nurul Aisyah", "relationship": "child", "email": daughter_email, "language": "en"},
            ],
        )
        participant = (await p.enrollment.post("/v1/participants", json=form)).json()
        participant_id = participant["participant_id"]
        today = date.today()
        due = contribution_due(2_000_000, ["JKK", "JKM"], "market_trader", "self", Period.of(today))
        paid = await p.enrollment.post(
            f"/v1/participants/{participant_id}/contributions",
            json={
                "period": Period.of(today).__str__(),
                "amount": due.total,
                "payer": "self",
                "paid_at": today.isoformat(),
            },
        )
        assert paid.status_code == 201, paid.text

        async def claims_knows_coverage() -> bool:
            found = await p.claims.get("/v1/participants", params={"q": form["full_name"]})
            return any(x["participant_id"] == participant_id and x["coverage_status"] == "active" for x in found.json())

        await wait_until(claims_knows_coverage, 30, "claims' read model to see the active coverage")

        filed = await p.claims.post(
            "/v1/claims",
            json={
                "participant_id": participant_id,
                "claim_type": "JKM",
                "incident_date": today.isoformat(),
                "incident_place": "Pasar Terong, Makassar",
                "cause": "heart attack at home",
                "reporter": {"name": "Andi Baso", "phone": "+62" + husband_phone[1:], "organisation": "suami"},
                "documents": JKM_DOCUMENTS,
            },
        )
        assert filed.status_code == 202, filed.text
        claim_id = filed.json()["claim_id"]

        async def payout_recorded() -> bool:
            return await claim_status(p.claims, claim_id) == "payout_recorded"

        await wait_until(payout_recorded, 60, "verification and payout recording")
        claim = (await p.claims.get(f"/v1/claims/{claim_id}")).json()
        # PP 82/2019: lump sum 20,000,000 + periodic benefit 12,000,000 + funeral 10,000,000
        # = 42,000,000, split equally between the two first-rank heirs: 21,000,000 each.
        assert claim["payout"]["total_cash"] == 42_000_000
        by_heir: dict[str, int] = {}
        for line in claim["payout"]["components"]:
            by_heir[line["payee_name"]] = by_heir.get(line["payee_name"], 0) + line["amount"]
        assert by_heir == {"Andi Baso": 21_000_000, "Nurul Aisyah": 21_000_000}

        # The officer records each heir's bank account; the disbursement step pays each line.
        heirs = {line["payee_name"]: line["payee_heir_id"] for line in claim["payout"]["components"]}
        for name, holder in (("Andi Baso", "ANDI BASO"), ("Nurul Aisyah", "NURUL AISYAH")):
            account = await p.bank.open_account(holder)
            recorded = await p.claims.put(
                f"/v1/claims/{claim_id}/payees/{heirs[name]}/account",
                json={"bank_code": "002", "account_number": account, "account_name": name},
            )
            assert recorded.status_code == 200, recorded.text

        async def all_delivered() -> bool:
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return len(rows) == 6 and all(r["status"] == "delivered" for r in rows)

        await wait_until(all_delivered, 60, "six messages delivered (3 events x 2 heirs)")
        rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
        seen = {(r["event_type"], r["channel"], r["language"]) for r in rows}
        assert seen == {
            (e, ch, lang)
            for e in ("ClaimFiled", "PayoutRecorded", "DisbursementPaid")
            for ch, lang in (("whatsapp", "id"), ("email", "en"))
        }

        mails = [m for m in p.mails() if daughter_email in m["to"]]
        assert len(mails) == 3
        bodies = [mail_text(tmp_path / "mail" / m["file"]) for m in mails]
        payout_mail = [b for b in bodies if "Lump-sum benefit: Rp 10.000.000 to Nurul Aisyah" in b]
        # Her own lines and her own total (10,000,000 + 6,000,000 + 5,000,000), not her father's share.
        assert len(payout_mail) == 1 and "Total money to be paid: Rp 21.000.000" in payout_mail[0]
        assert "Andi Baso" not in payout_mail[0] and "Rp 42.000.000" not in payout_mail[0]
        assert not any(form["nik"] in b for b in bodies)
        whatsapp = [
            r
            for r in (await p.provider.get("/_requests")).json()
            if r.get("channel") == "whatsapp"
            and r.get("status", 200) < 300
            and "62" + husband_phone[1:] in str(r.get("body"))
        ]
        assert len(whatsapp) == 3
        assert not any(form["nik"] in str(r) for r in whatsapp)

        async def timeline_has_family() -> bool:
            steps = (await p.claims.get(f"/v1/claims/{claim_id}")).json()["steps"]
            return sum(s["step"] == "family_notified" for s in steps) == 6

        await wait_until(timeline_has_family, 30, "claims' timeline to show the six deliveries")
        steps = [s["step"] for s in (await p.claims.get(f"/v1/claims/{claim_id}")).json()["steps"]]
        # Three components for two heirs: six lines, each sent and paid once.
        assert [
            s
            for s in steps
            if s not in ("family_notified", "transfer_sent", "transfer_succeeded", "payee_account_recorded")
        ] == ["filed", "verified", "payout_recorded", "disbursement_received", "disbursement_paid"]
        assert steps.count("transfer_sent") == steps.count("transfer_succeeded") == 6

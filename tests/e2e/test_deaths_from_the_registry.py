"""Issue 19: a death the civil registry registers reaches the family before they ask. The registry
stand-in notifies enrollment (signed), enrollment matches the NIK and publishes DeathReported,
claims opens one proactive claim, notifications tells the heirs; real Kafka, PostgreSQL, SMTP sink
and provider stand-in."""

from __future__ import annotations

import email
import email.policy
import json
import random
import time
from datetime import timedelta

import pytest

from deploy.local.standins.registry import sign
from services.enrollment.domain import Period, contribution_due
from shared.clock import today as wita_today
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import pipeline
from tests.support.registry import registry_standin
from tests.support.services import auth, participant_form, random_birth_date, random_nik

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


async def enrol(p, *, paid: bool, husband_phone: str, daughter_email: str, name: str) -> dict:
    today = wita_today()
    form = participant_form(
        full_name=name,
        member_since=(today - timedelta(days=200)).isoformat(),
        heirs=[
            {"full_name": "Andi Baso", "relationship": "spouse", "phone": husband_phone},
            {"full_name": "Nurul Aisyah", "relationship": "child", "email": daughter_email, "language": "en"},
        ],
    )
    enrolled = await p.enrollment.post("/v1/participants", json=form)
    assert enrolled.status_code == 201, enrolled.text
    participant_id = enrolled.json()["participant_id"]
    if paid:
        due = contribution_due(2_000_000, ["JKK", "JKM"], "market_trader", "self", Period.of(today))
        recorded = await p.enrollment.post(
            f"/v1/participants/{participant_id}/contributions",
            json={"period": str(Period.of(today)), "amount": due.total, "payer": "self", "paid_at": today.isoformat()},
        )
        assert recorded.status_code == 201, recorded.text

    async def claims_knows_it() -> bool:
        found = (await p.claims.get("/v1/participants", params={"q": name})).json()
        return any(
            x["participant_id"] == participant_id and (x["coverage_status"] == "active" or not paid) for x in found
        )

    await wait_until(claims_knows_it, 30, "claims' read model to know the participant")
    return {"participant_id": participant_id, "nik": form["nik"]}


async def registry_link(p, registry) -> None:
    registry.connect(p.enrollment.app)

    async def subscribed() -> bool:
        return bool((await registry.client.get("/_control/subscriptions")).json())

    await wait_until(subscribed, 30, "enrollment to subscribe to the registry's deaths")


def unique_contacts() -> tuple[str, str, str]:
    # Contacts and names of this test alone: every test's claims reach the session's databases.
    n = random.randint(10_000_000, 99_999_999)
    return f"+62813{n}", f"nurul.{n}@example.id", f"Daeng Registri {n}"


async def test_a_covered_participants_registered_death_opens_one_claim_the_family_hears_of_and_an_officer_completes(
    kafka_bootstrap, database_url, tmp_path
):
    async with (
        registry_standin(tmp_path / "registry") as registry,
        pipeline(
            kafka_bootstrap,
            database_url,
            tmp_path,
            enrollment_overrides=registry.enrollment_settings(),
            claims_overrides={"proactive_sweep_seconds": 0},
        ) as p,
    ):
        await registry_link(p, registry)
        husband_phone, daughter_email, name = unique_contacts()
        worker = await enrol(p, paid=True, husband_phone=husband_phone, daughter_email=daughter_email, name=name)
        today = wita_today()

        notified = await registry.register_death(worker["nik"], today.isoformat(), "RSUD Daya, Makassar")
        assert list(notified["notified"].values()) == [200]

        async def claim_opened() -> list[dict]:
            return (await p.claims.get("/v1/claims", params={"participant_id": worker["participant_id"]})).json()

        await wait_until(claim_opened, 30, "claims to open the proactive claim")
        [opened] = await claim_opened()
        assert opened["status"] == "awaiting_family" and opened["claim_type"] == "JKM"
        claim_id = opened["claim_id"]
        queue = (await p.claims.get("/v1/claims", params={"status": "awaiting_family"})).json()
        assert claim_id in [c["claim_id"] for c in queue]

        # PP 82/2019, member for 200 days (> 3 months, no short-membership limit): lump sum
        # 20,000,000 + periodic benefit 12,000,000 + funeral 10,000,000.
        expected = 20_000_000 + 12_000_000 + 10_000_000
        proactive = (await p.claims.get("/v1/proactive-claims")).json()
        [mine] = [c for c in proactive["awaiting_family"] if c["claim_id"] == claim_id]
        assert mine["expected_amount"] == expected == 42_000_000
        # The JKM checklist, plus the marriage book because the widower is paid; no NPWP (<= 50,000,000).
        assert mine["documents_to_bring"] == [
            "participant_card",
            "ktp_deceased",
            "ktp_heir",
            "family_card",
            "death_certificate",
            "heir_statement",
            "marriage_book",
            "bank_account",
        ]

        async def heirs_told() -> bool:
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return len(rows) == 2 and all(r["status"] == "delivered" for r in rows)

        await wait_until(heirs_told, 60, "both heirs told (WhatsApp to the husband, email to the daughter)")
        [mail] = [m for m in p.mails() if daughter_email in m["to"]]
        text = mail_text(tmp_path / "mail" / mail["file"])
        assert text.startswith(f"Our condolences on the death of {name}.")
        assert "The expected amount: Rp 42.000.000." in text
        assert f"give the claim number {claim_id}" in text and "Kantor Cabang BPJS Ketenagakerjaan Makassar" in text
        assert "- marriage book" in text and "- death certificate" in text and "tax number" not in text
        assert worker["nik"] not in text
        whatsapp = [
            r
            for r in (await p.provider.get("/_requests")).json()
            if r.get("channel") == "whatsapp" and husband_phone[1:] in str(r.get("body"))
        ]
        assert len(whatsapp) == 1
        sent = str(whatsapp[0]["body"])
        assert "jaring_proactive_claim_opened" in sent and "Rp 42.000.000" in sent
        assert worker["nik"] not in str(whatsapp[0])

        # The registry sends the same notification again: refused, nothing doubled.
        replayed = await registry.client.post(f"/_control/replay/{notified['event_id']}")
        assert list(replayed.json()["notified"].values()) == [409]
        # The same death registered a second time (a new registry event): counted, not reported again.
        link_before = (await p.enrollment.get("/v1/registry")).json()["deaths"]
        await registry.register_death(worker["nik"], today.isoformat(), "RSUD Daya, Makassar")
        link_after = (await p.enrollment.get("/v1/registry")).json()["deaths"]
        assert link_after["already_reported"] == link_before["already_reported"] + 1
        assert link_after["participant"] == link_before["participant"]

        # The family comes to the office with a relative: filing a second claim points to this one.
        second = await p.claims.post(
            "/v1/claims",
            json={
                "participant_id": worker["participant_id"],
                "claim_type": "JKM",
                "incident_date": today.isoformat(),
                "incident_place": "RSUD Daya, Makassar",
                "cause": "sakit jantung",
                "reporter": {"name": "Andi Baso", "phone": husband_phone, "organisation": "suami"},
                "documents": JKM_DOCUMENTS,
            },
        )
        assert second.status_code == 409, second.text
        assert second.json()["existing_id"] == claim_id
        assert f"/v1/claims/{claim_id}/completion" in second.json()["detail"]

        # Bad input is refused naming the field and the rule, and nothing changes.
        bad = await p.claims.post(
            f"/v1/claims/{claim_id}/completion",
            json={
                "reporter": {"name": "Andi Baso", "phone": husband_phone, "organisation": "suami"},
                "cause": "sakit jantung",
                "documents": {**JKM_DOCUMENTS, "ktp_deceased": "12345"},
            },
        )
        assert bad.status_code == 422, bad.text
        assert [(e["loc"], e["type"]) for e in bad.json()["errors"]] == [
            (["body", "documents", "ktp_deceased"], "document_number_invalid")
        ]
        assert "12345" not in bad.text
        assert (await p.claims.get(f"/v1/claims/{claim_id}")).json()["status"] == "awaiting_family"

        completed = await p.claims.post(
            f"/v1/claims/{claim_id}/completion",
            json={
                "reporter": {"name": "Andi Baso", "phone": husband_phone, "organisation": "suami"},
                "cause": "sakit jantung di rumah sakit",
                "documents": JKM_DOCUMENTS,
            },
        )
        assert completed.status_code == 202, completed.text

        async def paid_out() -> bool:
            return (await p.claims.get(f"/v1/claims/{claim_id}")).json()["status"] == "payout_recorded"

        await wait_until(paid_out, 60, "verification and payout of the completed claim")
        claim = (await p.claims.get(f"/v1/claims/{claim_id}")).json()
        assert claim["payout"]["total_cash"] == 42_000_000
        assert claim["reporter"]["name"] == "Andi Baso"
        steps = [s["step"] for s in claim["steps"] if not s["step"].startswith("family_")]
        assert steps[:4] == ["opened_from_registry", "completed_by_family", "verified", "payout_recorded"]
        # Exactly one claim for this death, whatever was sent twice.
        claims = (await p.claims.get("/v1/claims", params={"participant_id": worker["participant_id"]})).json()
        assert [c["claim_id"] for c in claims] == [claim_id]
        # Completing it again is refused: it is no longer waiting for the family.
        again = await p.claims.post(
            f"/v1/claims/{claim_id}/completion", json={"reporter": {"name": "Andi Baso"}, "cause": "x", "documents": {}}
        )
        assert again.status_code == 422 and again.json()["errors"][0]["type"] == "claim_not_awaiting_family"


async def test_deaths_of_an_uncovered_participant_and_of_a_non_participant_send_nothing_and_are_counted(
    kafka_bootstrap, database_url, tmp_path
):
    async with (
        registry_standin(tmp_path / "registry") as registry,
        pipeline(
            kafka_bootstrap,
            database_url,
            tmp_path,
            enrollment_overrides=registry.enrollment_settings(),
            claims_overrides={"proactive_sweep_seconds": 0},
        ) as p,
    ):
        await registry_link(p, registry)
        husband_phone, daughter_email, name = unique_contacts()
        uncovered = await enrol(p, paid=False, husband_phone=husband_phone, daughter_email=daughter_email, name=name)
        link_before = (await p.enrollment.get("/v1/registry")).json()["deaths"]
        claims_before = (await p.claims.get("/v1/proactive-claims")).json()["reported_deaths"]
        today = wita_today().isoformat()

        # A forged notification (another key) and a stale one (signed 6 minutes ago) are refused.
        record = {
            "identifier": [{"identifier_type": "NIK", "identifier_value": uncovered["nik"]}],
            "death_date": today,
            "death_place": "x",
        }
        body = json.dumps(
            {
                "header": {"action": "notify"},
                "message": {
                    "notify_event": [
                        {
                            "reference_id": "CRVS-D-forged",
                            "data": {"reg_event_type": "ns:org:RegistryEventType:Death", "reg_records": [record]},
                        }
                    ]
                },
            }
        ).encode()
        now = str(int(time.time()))
        stale = str(int(time.time()) - 360)
        for stamp, key in ((now, "not-the-registry's-key"), (stale, registry.secret)):
            refused = await p.enrollment.post(
                "/v1/registry/notify",
                content=body,
                headers={
                    "content-type": "application/json",
                    "X-Registry-Timestamp": stamp,
                    "X-Registry-Signature": sign(key, stamp, body),
                },
            )
            assert refused.status_code == 401, refused.text
        assert (await p.enrollment.get("/v1/registry")).json()["deaths"] == link_before

        await registry.register_death(uncovered["nik"], today, "Rumah, Kel. Mangasa")
        stranger = random_nik(random_birth_date(), "M")
        await registry.register_death(stranger, today, "Pasar Terong")

        async def counted() -> bool:
            link = (await p.enrollment.get("/v1/registry")).json()["deaths"]
            by_claims = (await p.claims.get("/v1/proactive-claims")).json()["reported_deaths"]
            return (
                link["not_participant"] == link_before["not_participant"] + 1
                and link["participant"] == link_before["participant"] + 1
                and by_claims["not_covered"] == claims_before["not_covered"] + 1
            )

        await wait_until(counted, 30, "enrollment and claims to count both deaths")
        link = (await p.enrollment.get("/v1/registry")).json()
        assert link["linked"] and link["subscriptions"]
        # No claim for the uncovered worker, so nothing for notifications to send.
        assert (await p.claims.get("/v1/claims", params={"participant_id": uncovered["participant_id"]})).json() == []
        assert [m for m in p.mails() if daughter_email in m["to"]] == []
        assert [r for r in (await p.provider.get("/_requests")).json() if husband_phone[1:] in str(r.get("body"))] == []


async def test_a_family_that_does_not_come_is_reminded_after_5_working_days_then_listed_for_a_home_visit(
    kafka_bootstrap, database_url, tmp_path
):
    async with (
        registry_standin(tmp_path / "registry") as registry,
        pipeline(
            kafka_bootstrap,
            database_url,
            tmp_path,
            enrollment_overrides=registry.enrollment_settings(),
            claims_overrides={"proactive_sweep_seconds": 0},
        ) as p,
    ):
        await registry_link(p, registry)
        husband_phone, daughter_email, name = unique_contacts()
        worker = await enrol(p, paid=True, husband_phone=husband_phone, daughter_email=daughter_email, name=name)
        today = wita_today()
        await registry.register_death(worker["nik"], today.isoformat(), "Rumah, Kel. Maccini")

        async def opened() -> list[dict]:
            return (await p.claims.get("/v1/claims", params={"participant_id": worker["participant_id"]})).json()

        await wait_until(opened, 30, "the proactive claim")
        [claim] = await opened()
        supervisor = auth("supervisor")

        # Two days later: fewer than 5 working days, no reminder.
        early = await p.claims.post(
            "/v1/proactive-claims/sweep", headers=supervisor, params={"as_of": (today + timedelta(days=2)).isoformat()}
        )
        assert early.status_code == 200, early.text
        # Two weeks later: 10 weekdays, at least 5 of them working days whatever the holidays.
        reminder_day = today + timedelta(days=14)
        swept = await p.claims.post(
            "/v1/proactive-claims/sweep", headers=supervisor, params={"as_of": reminder_day.isoformat()}
        )
        assert swept.json()["reminded"] >= 1
        again = await p.claims.post(
            "/v1/proactive-claims/sweep",
            headers=supervisor,
            params={"as_of": (reminder_day + timedelta(days=7)).isoformat()},
        )
        assert again.status_code == 200

        async def both_messages() -> bool:
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim["claim_id"]})).json()
            return sorted(r["event_type"] for r in rows if r["status"] == "delivered") == [
                "ProactiveClaimOpened",
                "ProactiveClaimOpened",
                "ProactiveClaimReminderDue",
                "ProactiveClaimReminderDue",
            ]

        await wait_until(both_messages, 60, "the opening message and one reminder to each heir")
        reminders = [mail_text(tmp_path / "mail" / m["file"]) for m in p.mails() if daughter_email in m["to"]]
        [reminder] = [t for t in reminders if "still waiting" in t]
        assert "The expected amount: Rp 42.000.000." in reminder

        # Not on the home-visit list the day of the reminder; listed two weeks after it.
        on_reminder_day = (
            await p.claims.get("/v1/proactive-claims/home-visits", params={"as_of": reminder_day.isoformat()})
        ).json()
        assert claim["claim_id"] not in [v["claim_id"] for v in on_reminder_day]
        later = (
            await p.claims.get(
                "/v1/proactive-claims/home-visits", params={"as_of": (reminder_day + timedelta(days=14)).isoformat()}
            )
        ).json()
        [visit] = [v for v in later if v["claim_id"] == claim["claim_id"]]
        assert visit["full_name"] == name and visit["family_reminded_on"] == reminder_day.isoformat()


async def test_the_console_lists_the_claim_awaiting_the_family_and_shows_the_campaign_with_charts(
    kafka_bootstrap, database_url, tmp_path
):
    import re
    import uuid

    import httpx

    from tests.support.console import console, served
    from tests.support.services import token

    async with (
        registry_standin(tmp_path / "registry") as registry,
        pipeline(
            kafka_bootstrap,
            database_url,
            tmp_path,
            enrollment_overrides=registry.enrollment_settings(),
            claims_overrides={"proactive_sweep_seconds": 0},
        ) as p,
        served(p.enrollment.app) as enrollment_url,
        served(p.claims.app) as claims_url,
        console(
            kafka_bootstrap,
            database_url,
            claims_url=claims_url,
            enrollment_url=enrollment_url,
            name=f"console_{uuid.uuid4().hex[:8]}",
        ) as c,
    ):
        await registry_link(p, registry)
        husband_phone, daughter_email, name = unique_contacts()
        worker = await enrol(p, paid=True, husband_phone=husband_phone, daughter_email=daughter_email, name=name)
        await registry.register_death(worker["nik"], wita_today().isoformat(), "Rumah, Kel. Bara-Baraya")

        async def opened() -> list[dict]:
            return (await p.claims.get("/v1/claims", params={"participant_id": worker["participant_id"]})).json()

        await wait_until(opened, 30, "the proactive claim")
        [claim] = await opened()

        async with httpx.AsyncClient(base_url=c.url, timeout=30, cookies={"jaring_console_lang": "en"}) as browser:
            form = await browser.get("/signin")
            nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
            signed = await browser.post("/signin", data={"token": token("officer", "ana.officer"), "nonce": nonce})
            assert signed.status_code == 303, signed.text

            queue = await browser.get("/proactive")
            assert queue.status_code == 200, queue.text
            row = re.search(rf'<tr data-claim="{claim["claim_id"]}">.*?</tr>', queue.text, re.S).group(0)
            assert name in row and "Rp 42.000.000" in row and worker["nik"] not in queue.text

            page = await browser.get("/campaign")
            assert page.status_code == 200, page.text
            combined = (await browser.get("/campaign.json")).json()
        # The console shows what the services answer, nothing of its own.
        campaign = (await p.enrollment.get("/v1/campaign")).json()
        proactive = (await p.claims.get("/v1/proactive-claims")).json()
        assert combined["enrolments"]["newly_covered"] == campaign["newly_covered"]
        assert combined["enrolments"]["target"] == 45_000
        assert combined["retention"] == campaign["retention"]
        assert combined["lapses_prevented"] == campaign["lapses_prevented"]
        assert combined["proactive_claims"]["opened"] == proactive["totals"]["opened"] >= 1
        assert f'data-figure="proactive_opened">{proactive["totals"]["opened"]}<' in page.text.replace(",", "")
        assert page.text.count("<svg") == 4 and "<rect" in page.text


async def test_grievances_knows_the_claim_jaring_opened_as_waiting_for_the_family_until_it_is_completed(
    kafka_bootstrap, database_url, tmp_path
):
    # The family is given the claim number at once; "Lacak Klaim" and STATUS (grievances) must know it.
    from tests.support.families import families

    async with (
        registry_standin(tmp_path / "registry") as registry,
        families(
            kafka_bootstrap,
            database_url,
            tmp_path,
            pipeline_options={
                "enrollment_overrides": registry.enrollment_settings(),
                "claims_overrides": {"proactive_sweep_seconds": 0},
            },
        ) as f,
    ):
        await registry_link(f.p, registry)
        husband_phone, daughter_email, name = unique_contacts()
        worker = await enrol(f.p, paid=True, husband_phone=husband_phone, daughter_email=daughter_email, name=name)
        await registry.register_death(worker["nik"], wita_today().isoformat(), "Rumah, Kel. Tamamaung")

        async def opened() -> list[dict]:
            return (await f.p.claims.get("/v1/claims", params={"participant_id": worker["participant_id"]})).json()

        await wait_until(opened, 30, "the proactive claim")
        [claim] = await opened()
        await f.claim_in_read_model(claim["claim_id"], "awaiting_family")

        completed = await f.p.claims.post(
            f"/v1/claims/{claim['claim_id']}/completion",
            json={
                "reporter": {"name": "Andi Baso", "phone": husband_phone, "organisation": "suami"},
                "cause": "sakit",
                "documents": JKM_DOCUMENTS,
            },
        )
        assert completed.status_code == 202, completed.text
        await f.claim_in_read_model(claim["claim_id"], "payout_recorded")

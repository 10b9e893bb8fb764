"""Families in the loop, on real Kafka and PostgreSQL: "Lacak Klaim" with the right code, a
wrong one and the lock-out; the same by message ("STATUS <claim>"); a grievance from each
channel (the page, "ADUAN" by message, an officer) through resolution and reopening, a claim's
decision reopened through claims' API; an overdue grievance escalated and the family told."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from services.grievances import handlers
from shared import snap
from shared.topics import INBOUND, LOOKUPS
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    REPORTER,
    today,
    wait_for_status,
)
from tests.support.console import console, served
from tests.support.families import (
    INBOUND_SECRET,
    Families,
    families,
    family_with_claim,
    local_form,
    new_mobile,
)
from tests.support.kafka_tools import group_caught_up, wait_until
from tests.support.privacy import full_niks_in
from tests.support.services import token

pytestmark = pytest.mark.integration

REPORTER_PHONE = REPORTER["phone"]
LOOKUP_ID = re.compile(r'name="lookup_id" value="([0-9a-f]{32})"')


def lookup_id_in(page: str) -> str:
    found = LOOKUP_ID.search(page)
    assert found, page
    return found.group(1)


def without_lookup_id(page: str) -> str:
    return LOOKUP_ID.sub("", page)


async def test_lacak_klaim_with_the_right_code_a_wrong_one_and_the_lock_out(kafka_bootstrap, database_url, tmp_path):
    async with families(kafka_bootstrap, database_url, tmp_path) as f:
        claim_id, widow, son, _ = await family_with_claim(f, JKM_DEATH_DOCUMENTS | MARRIAGE_BOOK)
        await wait_for_status(f.p.claims, claim_id, "payout_recorded", 60)
        await f.claim_in_read_model(claim_id, "payout_recorded")
        stranger = new_mobile()

        async with f.public("198.51.100.10") as browser:
            start = await browser.get("/lacak")
            assert start.status_code == 200 and 'lang="id"' in start.text and "Nomor klaim" in start.text

            on_claim = await browser.post(
                "/lacak/kode", data={"claim_number": claim_id.upper(), "phone": local_form(widow)}
            )
            not_on_claim = await browser.post("/lacak/kode", data={"claim_number": claim_id, "phone": stranger})
            no_such_claim = await browser.post(
                "/lacak/kode", data={"claim_number": "CL-000000000000", "phone": new_mobile()}
            )
            # The same page whether or not the phone is on the claim, or the claim exists.
            assert on_claim.status_code == not_on_claim.status_code == no_such_claim.status_code == 200
            assert (
                without_lookup_id(on_claim.text)
                == without_lookup_id(not_on_claim.text)
                == without_lookup_id(no_such_claim.text)
            )
            lookup = lookup_id_in(on_claim.text)

            code = await f.code_sent_to(widow)
            wrong = f"{(int(code) + 1) % 1_000_000:06d}"
            refused = await browser.post("/lacak/periksa", data={"lookup_id": lookup, "code": wrong})
            assert refused.status_code == 422 and "Kode salah" in refused.text

            shown = await browser.post("/lacak/periksa", data={"lookup_id": lookup, "code": code})
            assert shown.status_code == 200, shown.text
            page = shown.text
            assert 'data-status="payout_recorded"' in page
            # JKM: 20,000,000 + 12,000,000 + 10,000,000 = 42,000,000, split equally between widow and son.
            assert f"Rp {42_000_000 // 2:,}".replace(",", ".") in page  # Rp 21.000.000: her own share
            assert "42.000.000" not in page  # no total, nobody else's amount
            assert "Rudi Baso" not in page and "Andi Baso" not in page
            assert not full_niks_in(page)  # no NIK, no KTP or KK number
            again = await browser.post("/lacak/periksa", data={"lookup_id": lookup, "code": code})
            assert again.status_code == 422 and "tidak berlaku" in again.text  # a code opens the claim once

            # The stranger got nothing.
            assert await f.messages_to(stranger) == []

            # Five wrong codes lock the claim's lookup for 15 minutes, even for the right code.
            second = lookup_id_in(
                (await browser.post("/lacak/kode", data={"claim_number": claim_id, "phone": son})).text
            )
            son_code = await f.code_sent_to(son)
            answers = []
            for attempt in range(5):
                bad = f"{(int(son_code) + 1 + attempt) % 1_000_000:06d}"
                answers.append(
                    (await browser.post("/lacak/periksa", data={"lookup_id": second, "code": bad})).status_code
                )
            assert answers == [422, 422, 422, 422, 429]
            locked = await browser.post("/lacak/periksa", data={"lookup_id": second, "code": son_code})
            assert locked.status_code == 429 and "15 menit" in locked.text
            locked_until = await f.pool.fetchval(
                "SELECT locked_until FROM lookup_locks WHERE claim_number = $1", claim_id
            )
            assert locked_until is not None

        # Requests are limited per phone (3 in 15 minutes) and per client address (10 in 15 minutes).
        async with f.public("198.51.100.11") as other_browser:
            limited = [
                (
                    await other_browser.post("/lacak/kode", data={"claim_number": claim_id, "phone": stranger})
                ).status_code
                for _ in range(3)
            ]
            # the stranger asked once already above, from another address: the third request here is its fourth
            assert limited == [200, 200, 429]
        async with f.public("198.51.100.12") as busy:
            answers = [
                (
                    await busy.post("/lacak/kode", data={"claim_number": "CL-000000000001", "phone": new_mobile()})
                ).status_code
                for _ in range(11)
            ]
            assert answers == [200] * 10 + [429]
        stored = await f.pool.fetch(
            "SELECT code_hash FROM lookups WHERE claim_number = $1 AND code_hash IS NOT NULL", claim_id
        )
        assert stored and all(code not in row["code_hash"] for row in stored)  # codes are kept only as HMACs


async def test_status_by_message_answers_a_recorded_phone_and_no_one_else(kafka_bootstrap, database_url, tmp_path):
    async with families(kafka_bootstrap, database_url, tmp_path) as f:
        claim_id, widow, _son, _ = await family_with_claim(f, JKM_DEATH_DOCUMENTS)  # no marriage book
        await wait_for_status(f.p.claims, claim_id, "needs_review", 60)
        await f.claim_in_read_model(claim_id, "needs_review")
        stranger = new_mobile()

        sent = await f.inbound.post(
            "/_control/inbound", json={"from": stranger, "text": f"STATUS {claim_id}", "channel": "sms"}
        )
        assert sent.status_code == 200 and sent.json()["delivered"], sent.text
        sent = await f.inbound.post(
            "/_control/inbound", json={"from": widow, "text": f"status {claim_id}", "channel": "sms"}
        )
        assert sent.status_code == 200 and sent.json()["delivered"], sent.text

        reply = await f.wait_for_message(widow, f"Status klaim {claim_id}")
        assert "menunggu pemeriksaan petugas" in reply
        assert "buku nikah" in reply  # what is still missing, in plain words
        assert [m["channel"] for m in await f.messages_to(widow) if "Status klaim" in m["text"]] == ["sms"]

        # The widow writes on WhatsApp too: the provider sees it (her 24 h window opens, where the free-text
        # answer may go) and forwards it; here the forwarding is done by hand, to deliver it twice.
        opened = await f.inbound.post("/_control/inbound", json={"from": widow, "channel": "whatsapp"})
        assert opened.status_code == 200, opened.text
        # The provider delivers the same webhook twice: one message, one answer. Forged or stale: refused.
        body = json.dumps(
            {"id": f"in-{uuid.uuid4().hex}", "from": widow, "text": f"STATUS {claim_id}", "channel": "whatsapp"}
        ).encode()

        def signed(at: datetime | None = None) -> dict[str, str]:
            stamp = snap.timestamp(at)
            return {
                "X-TIMESTAMP": stamp,
                "X-SIGNATURE": snap.signature(INBOUND_SECRET, "POST", "/v1/inbound", body, stamp),
                "X-EXTERNAL-ID": uuid.uuid4().hex,
                "content-type": "application/json",
            }

        # Delivered twice by the provider (two requests, each with its own external id): one message.
        first = await f.p.notifications.post("/v1/inbound", content=body, headers=signed())
        second = await f.p.notifications.post("/v1/inbound", content=body, headers=signed())
        assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
        replayed_headers = signed()
        assert (await f.p.notifications.post("/v1/inbound", content=body, headers=replayed_headers)).status_code == 200
        replayed = await f.p.notifications.post("/v1/inbound", content=body, headers=replayed_headers)
        assert replayed.status_code == 409
        forged = await f.p.notifications.post(
            "/v1/inbound", content=body.replace(b"STATUS", b"ADUAN"), headers=signed()
        )
        stale = await f.p.notifications.post(
            "/v1/inbound", content=body, headers=signed(datetime.now(UTC) - timedelta(seconds=301))
        )
        assert forged.status_code == stale.status_code == 401
        # The provider's webhook answers as it always has, not with a problem document (docs/api-errors.md).
        assert replayed.json() == {"detail": "replay: this X-EXTERNAL-ID was taken before"}
        assert forged.headers["content-type"] == "application/json" and set(forged.json()) == {"detail"}
        await wait_until(lambda: _count_at_least(f, widow, "Status klaim", 2), 45, "the WhatsApp answer")
        await wait_until(
            lambda: group_caught_up(kafka_bootstrap, "notifications.family", LOOKUPS.name),
            30,
            "notifications to read every status answer",
        )
        answers = [m["channel"] for m in await f.messages_to(widow) if "Status klaim" in m["text"]]
        assert answers == ["sms", "whatsapp"]
        await wait_until(
            lambda: group_caught_up(kafka_bootstrap, "grievances.inbound", INBOUND.name),
            30,
            "grievances to read every inbound message",
        )
        assert await f.messages_to(stranger) == []  # the claim's existence is not told to a stranger


async def test_a_grievance_from_each_channel_through_resolution_and_reopening(kafka_bootstrap, database_url, tmp_path):
    async with families(kafka_bootstrap, database_url, tmp_path) as f:
        claim_id, widow, son, participant_id = await family_with_claim(f, JKM_DEATH_DOCUMENTS)  # no marriage book
        await wait_for_status(f.p.claims, claim_id, "needs_review", 60)
        await f.claim_in_read_model(claim_id, "needs_review")

        # 1. From the page, after looking the claim up.
        async with f.public("198.51.100.20") as browser:
            lookup = lookup_id_in(
                (await browser.post("/lacak/kode", data={"claim_number": claim_id, "phone": widow})).text
            )
            code = await f.code_sent_to(widow)
            shown = await browser.post("/lacak/periksa", data={"lookup_id": lookup, "code": code})
            assert "buku nikah" in shown.text and "Ajukan pengaduan" in shown.text
            too_short = await browser.post("/lacak/aduan", data={"lookup_id": lookup, "category": "delay", "text": "x"})
            assert too_short.status_code == 422
            hostile = await browser.post(
                "/lacak/aduan", data={"lookup_id": lookup, "category": "bribe", "text": "<script>alert(1)</script>"}
            )
            assert hostile.status_code == 422 and "<script>alert" not in hostile.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text  # given back escaped, to correct
            filed = await browser.post(
                "/lacak/aduan",
                data={"lookup_id": lookup, "category": "delay", "text": "Sudah dua minggu belum ada kabar."},
            )
            assert filed.status_code == 201, filed.text
            web_id = re.search(r'data-grievance="(GRV-[0-9A-F]+)"', filed.text).group(1)
            forged = await browser.post(
                "/lacak/aduan",
                data={"lookup_id": "0" * 32, "category": "delay", "text": "Sudah dua minggu belum ada kabar."},
            )
            assert forged.status_code == 403
        await f.wait_for_message(widow, f"Pengaduan {web_id} diterima")

        # 2. By message: "ADUAN <text>" from a phone on the claim; delivered twice, filed once.
        sent = await f.inbound.post(
            "/_control/inbound", json={"from": son, "text": "ADUAN ahli waris salah tulis nama", "channel": "whatsapp"}
        )
        assert sent.status_code == 200, sent.text

        async def by_message() -> list[dict]:
            rows = (await f.grievances.get("/v1/grievances", params={"claim_id": claim_id})).json()
            return [g for g in rows if g["channel"] == "whatsapp"]

        await wait_until(lambda: _nonempty(by_message()), 45, "the ADUAN message to file a grievance")
        [message_grievance] = await by_message()
        assert message_grievance["text"] == "ahli waris salah tulis nama"
        await f.wait_for_message(son, f"Pengaduan {message_grievance['grievance_id']} diterima")

        # 3. By an officer on the family's behalf; the decision was wrong, so it reaches claims.
        officer = await f.grievances.post(
            "/v1/grievances",
            json={
                "category": "rejected_claim",
                "claim_id": claim_id,
                "text": "Keluarga membawa buku nikah ke kantor.",
                "contact_phone": local_form(widow),
            },
        )
        assert officer.status_code == 201, officer.text
        officer_id = officer.json()["grievance_id"]
        assert officer.json()["assigned_to"] == "local-supervisor"
        typed_nik = await f.grievances.post(
            "/v1/grievances",
            json={"category": "data_correction", "claim_id": claim_id, "text": "NIK saya 7371034506920001 salah ketik"},
        )
        assert typed_nik.status_code == 201 and "7371034506920001" not in typed_nik.text
        assert "7371************" in typed_nik.json()["text"]  # masked as shared.privacy masks: 4 digits, 12 stars
        bad = await f.grievances.post("/v1/grievances", json={"category": "rejected_claim", "text": "x"})
        assert bad.status_code == 422 and {e["loc"][-1] for e in bad.json()["errors"]} == {"text", "claim_id"}

        rejected = await f.p.claims.post(
            f"/v1/claims/{claim_id}/decision",
            headers=f.as_role("supervisor"),
            json={"decision": "reject", "reason": "buku nikah tidak ada"},
        )
        assert rejected.status_code == 200, rejected.text

        supervisor = f.as_role("supervisor", "local-supervisor")
        as_officer = await f.grievances.post(
            f"/v1/grievances/{officer_id}/reopen-claim", json={"reason": "buku nikah sudah dibawa"}
        )
        assert as_officer.status_code == 403  # reopening a decision is a supervisor's
        reopened_claim = await f.grievances.post(
            f"/v1/grievances/{officer_id}/reopen-claim", headers=supervisor, json={"reason": "buku nikah sudah dibawa"}
        )
        assert reopened_claim.status_code == 200, reopened_claim.text
        assert (await wait_for_status(f.p.claims, claim_id, "needs_review", 30))["status"] == "needs_review"
        again = await f.grievances.post(
            f"/v1/grievances/{officer_id}/reopen-claim", headers=supervisor, json={"reason": "sekali lagi"}
        )
        assert again.status_code == 422  # claims says: only a decided claim is reopened

        comment = await f.grievances.post(f"/v1/grievances/{officer_id}/comments", json={"text": "Sudah ditelepon."})
        assert comment.status_code == 201
        officer_resolves = await f.grievances.post(
            f"/v1/grievances/{officer_id}/resolve", json={"resolution": "Klaim diperiksa lagi."}
        )
        assert officer_resolves.status_code == 403
        resolved = await f.grievances.post(
            f"/v1/grievances/{officer_id}/resolve",
            headers=supervisor,
            json={"resolution": "Klaim Anda diperiksa lagi oleh petugas."},
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["reopen_until"] == (today() + timedelta(days=14)).isoformat()
        told = await f.wait_for_message(widow, f"Pengaduan {officer_id} selesai")
        assert "Klaim Anda diperiksa lagi oleh petugas." in told and f"Klaim {claim_id} diperiksa kembali" in told

        reopened = await f.grievances.post(
            f"/v1/grievances/{officer_id}/reopen", json={"reason": "keluarga belum puas"}
        )
        assert reopened.status_code == 200 and reopened.json()["status"] == "open", reopened.text
        assert reopened.json()["reopen_count"] == 1
        await f.wait_for_message(widow, f"Pengaduan {officer_id} dibuka kembali")
        detail = (await f.grievances.get(f"/v1/grievances/{officer_id}")).json()
        assert [c["text"].split(":")[0] for c in detail["comments"]] == [
            "claim reopened",
            "Sudah ditelepon.",
            "resolved",
            "reopened",
        ]

        # The page's and the message's grievances too: resolved, the family told on the channel it used; reopened.
        message_id = message_grievance["grievance_id"]
        for grievance_id in (web_id, message_id):
            done = await f.grievances.post(
                f"/v1/grievances/{grievance_id}/resolve",
                headers=supervisor,
                json={"resolution": "Sudah kami periksa dan jawab."},
            )
            assert done.status_code == 200, done.text
        await f.wait_for_message(widow, f"Pengaduan {web_id} selesai")
        await f.wait_for_message(son, f"Pengaduan {message_id} selesai")
        assert {m["channel"] for m in await f.messages_to(son) if message_id in m["text"]} == {"whatsapp"}
        for grievance_id, phone in ((web_id, widow), (message_id, son)):
            opened = await f.grievances.post(f"/v1/grievances/{grievance_id}/reopen", json={"reason": "belum beres"})
            assert opened.status_code == 200, opened.text
            await f.wait_for_message(phone, f"Pengaduan {grievance_id} dibuka kembali")

        # Every channel's grievance is on the claim, ordered by deadline.
        on_claim = (await f.grievances.get("/v1/grievances", params={"claim_id": claim_id})).json()
        assert {g["grievance_id"] for g in on_claim} == {
            web_id,
            message_grievance["grievance_id"],
            officer_id,
            typed_nik.json()["grievance_id"],
        }
        assert [g["due_on"] for g in on_claim] == sorted(g["due_on"] for g in on_claim)
        audit = await f.pool.fetch("SELECT action FROM audit_log WHERE subject_id = $1 ORDER BY id", officer_id)
        assert [a["action"] for a in audit] == ["grievance.reopen_claim", "grievance.resolve", "grievance.reopen"]


async def test_an_overdue_grievance_is_escalated_once_and_the_family_told(kafka_bootstrap, database_url, tmp_path):
    async with families(kafka_bootstrap, database_url, tmp_path) as f:
        claim_id, widow, _son, _ = await family_with_claim(f, JKM_DEATH_DOCUMENTS | MARRIAGE_BOOK)
        await wait_until(lambda: _known(f, claim_id), 60, "grievances to know the claim")
        filed = await f.grievances.post(
            "/v1/grievances",
            json={
                "category": "delay",
                "claim_id": claim_id,
                "text": "Uang belum masuk rekening.",
                "contact_phone": widow,
            },
        )
        assert filed.status_code == 201, filed.text
        grievance_id, due_on = filed.json()["grievance_id"], date.fromisoformat(filed.json()["due_on"])

        async with f.pool.acquire() as conn, conn.transaction():
            on_the_day = await handlers.escalate_overdue(conn, due_on, f.settings)
        assert grievance_id not in on_the_day  # due today is not late yet
        async with f.pool.acquire() as conn, conn.transaction():
            day_after = await handlers.escalate_overdue(conn, due_on + timedelta(days=1), f.settings)
        assert grievance_id in day_after
        async with f.pool.acquire() as conn, conn.transaction():
            later = await handlers.escalate_overdue(conn, due_on + timedelta(days=5), f.settings)
        assert grievance_id not in later  # escalated once

        detail = (await f.grievances.get(f"/v1/grievances/{grievance_id}")).json()
        assert detail["escalated_to"] == "kepala-cabang"
        told = await f.wait_for_message(widow, f"pengaduan {grievance_id} terlambat")
        assert "kepala kantor cabang" in told
        overdue = [m for m in await f.messages_to(widow) if f"pengaduan {grievance_id} terlambat" in m["text"]]
        assert len(overdue) == 1


@contextlib.asynccontextmanager
async def signed_in(url: str, role: str, subject: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser session of the console, signed in through its form."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as browser:
        nonce = re.search(r'name="nonce" value="([^"]+)"', (await browser.get("/signin")).text).group(1)
        signed = await browser.post("/signin", data={"token": token(role, subject), "nonce": nonce})
        assert signed.status_code == 303, signed.text
        yield browser


async def _count_at_least(f: Families, phone: str, containing: str, n: int) -> bool:
    return len([m for m in await f.messages_to(phone) if containing in m["text"]]) >= n


async def _nonempty(pending) -> bool:
    return bool(await pending)


async def _known(f: Families, claim_id: str) -> bool:
    return await f.pool.fetchval("SELECT true FROM claims WHERE claim_id = $1", claim_id) or False


async def test_missing_documents_are_told_reminded_once_and_not_after_they_arrive(
    kafka_bootstrap, database_url, tmp_path
):
    async with families(kafka_bootstrap, database_url, tmp_path) as f:
        waiting, widow, son, _ = await family_with_claim(f, JKM_DEATH_DOCUMENTS)  # no marriage book
        completed, other_widow, _other_son, _ = await family_with_claim(f, JKM_DEATH_DOCUMENTS)
        for claim_id in (waiting, completed):
            await wait_for_status(f.p.claims, claim_id, "needs_review", 60)
            await f.claim_in_read_model(claim_id, "needs_review")

        # The first rank (widow and son) and the reporter are told what to bring, where, and about the clock.
        for phone in (widow, son, REPORTER_PHONE):
            told = await f.wait_for_message(phone, f"Dokumen klaim {waiting} masih kurang")
            assert told.index("turut berduka cita") < told.index("buku nikah")  # condolences, then what to do
            assert "kantor cabang BPJS Ketenagakerjaan" in told
            assert "paling lambat 3 hari kerja setelah dokumen lengkap" in told  # JKM: PP 44/2015 art. 40
        await f.wait_for_message(other_widow, f"Dokumen klaim {completed} masih kurang")

        # The second family brings the marriage book: the claim is complete and approved.
        brought = await f.p.claims.post(f"/v1/claims/{completed}/documents", json={"documents": MARRIAGE_BOOK})
        assert brought.status_code == 200, brought.text
        await f.claim_in_read_model(completed, "payout_recorded")

        # Three working days later (at most five calendar days: a weekend in between) one reminder goes out.
        later = today() + timedelta(days=5)
        async with f.pool.acquire() as conn, conn.transaction():
            reminded = await handlers.remind_missing_documents(conn, later)
        assert waiting in reminded and completed not in reminded
        async with f.pool.acquire() as conn, conn.transaction():
            again = await handlers.remind_missing_documents(conn, later + timedelta(days=3))
        assert waiting not in again  # one reminder only
        reminder = await f.wait_for_message(widow, f"Pengingat: dokumen klaim {waiting} masih kurang")
        assert "buku nikah" in reminder
        await f.wait_for_message(son, f"Pengingat: dokumen klaim {waiting} masih kurang")
        assert [m for m in await f.messages_to(other_widow) if "Pengingat" in m["text"]] == []
        first_notices = [m for m in await f.messages_to(widow) if f"Dokumen klaim {waiting} masih kurang" in m["text"]]
        assert len(first_notices) == 1


async def test_officers_see_a_claims_grievances_and_supervisors_the_queue_by_deadline(
    kafka_bootstrap, database_url, tmp_path, unique
):
    async with (
        families(kafka_bootstrap, database_url, tmp_path) as f,
        served(f.p.enrollment.app) as enrollment_url,
        served(f.p.claims.app) as claims_url,
        served(f.p.notifications.app) as notifications_url,
        served(f.grievances_app) as grievances_url,
        console(
            kafka_bootstrap,
            database_url,
            claims_url=claims_url,
            enrollment_url=enrollment_url,
            notifications_url=notifications_url,
            grievances_url=grievances_url,
            name=f"console_{unique}",
        ) as c,
    ):
        claim_id, widow, _son, _ = await family_with_claim(f, JKM_DEATH_DOCUMENTS | MARRIAGE_BOOK)
        await wait_until(lambda: _known(f, claim_id), 60, "grievances to know the claim")
        late = await f.grievances.post(
            "/v1/grievances",
            json={
                "category": "delay",
                "claim_id": claim_id,
                "text": "Uang belum masuk rekening.",
                "contact_phone": widow,
            },
        )
        later = await f.grievances.post(
            "/v1/grievances", json={"category": "rejected_claim", "claim_id": claim_id, "text": "Mohon diperiksa lagi."}
        )
        assert late.status_code == later.status_code == 201
        late_id, later_id = late.json()["grievance_id"], later.json()["grievance_id"]

        async with signed_in(c.url, "officer", "rina.officer") as officer:
            page = (await officer.get(f"/claims/{claim_id}")).text
            assert f'data-grievance="{late_id}"' in page and f'data-grievance="{later_id}"' in page
            assert "keterlambatan" in page and "klaim ditolak" in page
        async with signed_in(c.url, "supervisor", "local-supervisor") as supervisor:
            queue = (await supervisor.get("/grievances")).text
            # delay: 5 working days, a rejected claim: 14 — the delay comes first.
            assert queue.index(f'data-grievance="{late_id}"') < queue.index(f'data-grievance="{later_id}"')
            assert f'href="/claims/{claim_id}"' in queue
            assert 'data-overdue="yes"' not in queue.split(f'data-grievance="{late_id}"')[1].split("</tr>")[0]

"""What notifications must show on real Kafka, PostgreSQL, the SMTP sink and the provider
stand-in: a flaky provider is retried and the family hears once; a dead one ends in
`failed`, which officers and the claim's timeline see; a notifications process killed
mid-batch or mid-delivery sends no message twice; each heir reads their own language,
rupiah as `Rp 42.000.000`, and never a full NIK."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import random
import re
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.enrollment.domain import Period
from services.notifications.domain.recipients import dedup_key
from services.notifications.domain.templates import CATALOGUE
from shared.db import create_pool
from shared.envelope import read_envelope
from shared.privacy import mask_nik
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, DELIVERIES, DISBURSEMENTS, PARTICIPANTS, PAYOUTS
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    claim_form,
    claims_knows,
    covered_participant,
    member_since,
    pay,
    today,
    unique_name,
    wait_for_status,
)
from tests.support.kafka_tools import committed_offsets, group_caught_up, read_all, wait_until
from tests.support.pipeline import Pipeline, pipeline
from tests.support.privacy import full_niks_in
from tests.support.processes import ServiceProcess
from tests.support.services import participant_form, token

pytestmark = pytest.mark.e2e

COMPLETE_JKM = JKM_DEATH_DOCUMENTS | MARRIAGE_BOOK  # the widow(er) is among the payees
# The consumer groups of a notifications process, and the topics each reads (of a claim's way).
NOTIFICATION_GROUPS = [
    ("notifications.participants", PARTICIPANTS.name),
    ("notifications.claims", CLAIMS_FILED.name),
    ("notifications.claims", CLAIM_DECISIONS.name),
    ("notifications.claims", PAYOUTS.name),
    ("notifications.claims", DISBURSEMENTS.name),
]
RUPIAH = re.compile(r"Rp\s*\d[\d.,]*")


# --- a family ------------------------------------------------------------------------------------------


def new_mobile() -> str:
    return f"+62813{random.randint(10_000_000, 99_999_999)}"


def new_mailbox() -> str:
    return f"ahli.waris.{uuid.uuid4().hex[:10]}@example.id"


def widow(phone: str, language: str = "id") -> dict[str, str]:
    return {"full_name": "Andi Baso", "relationship": "spouse", "phone": phone, "language": language}


def daughter(*, mailbox: str | None = None, phone: str | None = None, language: str = "en") -> dict[str, Any]:
    return {
        "full_name": "Nurul Aisyah",
        "relationship": "child",
        "email": mailbox,
        "phone": phone,
        "language": language,
    }


async def file_jkm_claim(p: Pipeline, participant_id: str) -> str:
    filed = await p.claims.post("/v1/claims", json=claim_form(participant_id, "JKM", today(), COMPLETE_JKM))
    assert filed.status_code == 202, filed.text
    return filed.json()["claim_id"]


# --- what notifications recorded -------------------------------------------------------------------------


@asynccontextmanager
async def notifications_db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "notifications", max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def messages_of(db: asyncpg.Pool, claim_ids: Iterable[str]) -> list[dict[str, Any]]:
    rows = await db.fetch("SELECT * FROM notifications WHERE claim_id = ANY($1::text[])", list(claim_ids))
    return [dict(r) for r in rows]


async def attempts_of(db: asyncpg.Pool, notification_id: str) -> list[str]:
    rows = await db.fetch(
        "SELECT outcome FROM delivery_attempts WHERE notification_id = $1 ORDER BY attempt", notification_id
    )
    return [r["outcome"] for r in rows]


def key_of(message: dict[str, Any]) -> str:
    """The idempotency key the dispatcher sends the message under."""
    return dedup_key(str(message["event_id"]), message["heir_id"], message["channel"])


async def nothing_due(db: asyncpg.Pool) -> bool:
    """No message of an earlier test is still waiting to be sent (it would meet this test's provider)."""
    return await db.fetchval("SELECT count(*) FROM notifications WHERE status = 'pending'") == 0


# --- what reached families -------------------------------------------------------------------------------


def addressee(request: dict[str, Any]) -> str:
    body = request["body"] if isinstance(request["body"], dict) else {}
    return "+" + str(body.get("to", "")).lstrip("+")


def request_text(request: dict[str, Any]) -> str:
    """What the family's phone shows: the SMS text, or the WhatsApp template filled with its parameters."""
    body = request["body"]
    if request["channel"] == "sms":
        return body["text"]
    if body["type"] == "text":
        return body["text"]["body"]
    template = body["template"]
    parameters = [p["text"] for p in template["components"][0]["parameters"]]
    numbered = CATALOGUE[template["name"]].whatsapp_body(template["language"]["code"])
    return re.sub(r"\{\{(\d+)\}\}", lambda m: parameters[int(m.group(1)) - 1], numbered)


async def provider_requests(p: Pipeline, phones: Iterable[str]) -> list[dict[str, Any]]:
    phones = set(phones)
    return [r for r in (await p.provider.get("/_requests")).json() if addressee(r) in phones]


def sent_by_provider(requests: list[dict[str, Any]]) -> Counter[str]:
    """Messages the provider sent, by idempotency key: every accepted request is a message on
    the family's phone (neither the SMS gateway nor the WhatsApp Cloud API deduplicates)."""
    return Counter(r["idempotency_key"] for r in requests if 200 <= r["status"] < 300)


def mails_to(p: Pipeline, mailboxes: Iterable[str]) -> list[dict[str, Any]]:
    mailboxes = set(mailboxes)
    return [m for m in p.mails() if mailboxes & set(m["to"])]


def sent_by_mail(mails: list[dict[str, Any]]) -> Counter[str]:
    """Mails, by idempotency key: every mail the server took is one in the family's mailbox."""
    return Counter(m["idempotency_key"] for m in mails)


def duplicates_per_channel(requests: list[dict[str, Any]], mails: list[dict[str, Any]]) -> dict[str, int]:
    """Second (third, …) messages as the family sees them, per channel: every request counted."""
    counts = {
        "whatsapp": sent_by_provider([r for r in requests if r["channel"] == "whatsapp"]),
        "sms": sent_by_provider([r for r in requests if r["channel"] == "sms"]),
        "email": sent_by_mail(mails),
    }
    return {channel: sum(n - 1 for n in by_key.values() if n > 1) for channel, by_key in counts.items()}


def mail_text(p: Pipeline, mail: dict[str, Any], *, all_headers: bool = False) -> str:
    """Subject and body as the family reads them (quoted-printable decoded); with every header first."""
    message = email.message_from_bytes((p.mail_dir / mail["file"]).read_bytes(), policy=email.policy.default)
    head = "".join(f"{k}: {v}\n" for k, v in message.items()) if all_headers else ""
    return head + message["Subject"] + "\n\n" + message.get_body(("plain",)).get_content()


# --- 1. and 2. a provider that fails ---------------------------------------------------------------------------


async def test_a_provider_error_is_retried_and_the_family_hears_once(kafka_bootstrap, database_url, tmp_path):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        db = p.notifications.app.state.runtime.pool
        phone = new_mobile()
        participant_id = await covered_participant(
            p.enrollment, p.claims, today(), member_since=member_since(), heirs=[widow(phone)]
        )
        await wait_until(lambda: nothing_due(db), 30, "messages of earlier tests to be sent")
        armed = await p.provider.post("/_control/fail", json={"status": 500, "times": 1})
        assert armed.status_code == 200, armed.text

        claim_id = await file_jkm_claim(p, participant_id)
        await wait_for_status(p.claims, claim_id, "payout_recorded", 60)

        async def both_messages_delivered() -> bool:
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return len(rows) == 2 and all(r["status"] == "delivered" for r in rows)

        await wait_until(both_messages_delivered, 30, "the ClaimFiled and PayoutRecorded messages delivered")

        requests = await provider_requests(p, [phone])
        refused = [r for r in requests if r["status"] == 500]
        assert len(refused) == 1, requests
        messages = {key_of(m): m for m in await messages_of(db, [claim_id])}
        assert set(messages) == {r["idempotency_key"] for r in requests}
        retried = messages[refused[0]["idempotency_key"]]
        assert (retried["channel"], retried["status"], retried["attempts"]) == ("whatsapp", "delivered", 2)
        assert await attempts_of(db, retried["notification_id"]) == ["temporary_failure", "delivered"]
        assert [(r["status"], r["duplicate"]) for r in requests if r["idempotency_key"] == key_of(retried)] == [
            (500, False),
            (200, False),
        ]
        assert sent_by_provider(requests) == {key: 1 for key in messages}
        assert sorted(m["attempts"] for m in messages.values()) == [1, 2]


async def test_a_provider_that_keeps_failing_leaves_the_message_failed_for_officers_to_see(
    kafka_bootstrap, database_url, tmp_path
):
    async with pipeline(
        kafka_bootstrap, database_url, tmp_path, delivery_max_attempts=3, delivery_retry_base_seconds=0.1
    ) as p:
        db = p.notifications.app.state.runtime.pool
        phone = new_mobile()
        participant_id = await covered_participant(
            p.enrollment, p.claims, today(), member_since=member_since(), heirs=[widow(phone)]
        )
        await wait_until(lambda: nothing_due(db), 30, "messages of earlier tests to be sent")
        await p.provider.post("/_control/fail", json={"status": 500, "times": -1})

        claim_id = await file_jkm_claim(p, participant_id)
        await wait_for_status(p.claims, claim_id, "payout_recorded", 60)

        async def both_messages_failed() -> bool:
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return len(rows) == 2 and all(r["status"] == "failed" for r in rows)

        await wait_until(both_messages_failed, 30, "the ClaimFiled and PayoutRecorded messages to be given up")
        messages = await messages_of(db, [claim_id])
        assert all(m["attempts"] == 3 and m["last_error"].startswith("HTTP 500") for m in messages)
        for m in messages:
            assert await attempts_of(db, m["notification_id"]) == ["temporary_failure"] * 3
        requests = await provider_requests(p, [phone])
        assert Counter(r["idempotency_key"] for r in requests) == {key_of(m): 3 for m in messages}
        assert sent_by_provider(requests) == {}

        ids = {m["notification_id"] for m in messages}
        published: list = []

        async def failures_published() -> bool:
            nonlocal published
            published = [
                read_envelope(r.value)
                for r in await read_all(kafka_bootstrap, DELIVERIES.name)
                if r.key == claim_id.encode()
            ]
            return len(published) >= 2

        await wait_until(failures_published, 30, "the claim's deliveries topic to carry two events")
        assert (
            sorted((e.type, e.payload["attempts"], e.payload["channel"]) for e in published)
            == [("NotificationFailed", 3, "whatsapp")] * 2
        )
        assert {e.payload["notification_id"] for e in published} == ids

        failed = (await p.notifications.get("/v1/notifications/failed")).json()
        listed = {f["notification_id"]: f for f in failed if f["claim_id"] == claim_id}
        assert set(listed) == ids
        assert {(f["event_type"], f["attempts"]) for f in listed.values()} == {("ClaimFiled", 3), ("PayoutRecorded", 3)}

        async def timeline_shows_it() -> bool:
            steps = (await p.claims.get(f"/v1/claims/{claim_id}")).json()["steps"]
            return sum(s["step"] == "family_notification_failed" for s in steps) == 2

        await wait_until(timeline_shows_it, 30, "the claim's timeline to show both failed messages")
        steps = [s["step"] for s in (await p.claims.get(f"/v1/claims/{claim_id}")).json()["steps"]]
        assert "family_notified" not in steps

        # An officer reached the family another way and learnt the message never came: send it again.
        await p.provider.post("/_control/fail", json={"status": 500, "times": 0})
        again = sorted(ids)[0]
        assert (await p.notifications.post(f"/v1/notifications/{again}/resend")).status_code == 200
        assert (await p.notifications.post(f"/v1/notifications/{again}/resend")).status_code == 409  # not failed now

        async def resent() -> bool:
            return (
                await db.fetchval("SELECT status FROM notifications WHERE notification_id = $1", again)
            ) == "delivered"

        await wait_until(resent, 30, "the resent message delivered")
        audit = await db.fetch("SELECT actor, action FROM audit_log WHERE subject_id = $1", again)
        assert [r["action"] for r in audit] == ["notification.resend"]
        accepted = [r for r in await provider_requests(p, [phone]) if r["status"] == 200]
        assert [r["idempotency_key"] for r in accepted] == [
            key_of(m) for m in messages if m["notification_id"] == again
        ]


# --- 3. a notifications process that dies ---------------------------------------------------------------------


def notifications_process(
    p: Pipeline, kafka_bootstrap: str, database_url: str, tmp_path: Path, **env: str
) -> ServiceProcess:
    return ServiceProcess(
        "notifications",
        kafka_bootstrap,
        database_url,
        tmp_path,
        **p.notifications_env(),
        NOTIFICATIONS_DELIVERY_RETRY_BASE_SECONDS="0.2",
        NOTIFICATIONS_HANDLER_BACKOFF_SECONDS="0.05",
        NOTIFICATIONS_DELIVERY_LEASE_SECONDS="2",
        NOTIFICATIONS_DELIVERY_SEND_TIMEOUT_SECONDS="1",
        **env,
    )


async def families(p: Pipeline, count: int) -> list[tuple[str, str, str]]:
    """`count` covered workers, each with a widow reached by WhatsApp and a daughter by email:
    (participant_id, phone, mailbox)."""
    contacts = [(new_mobile(), new_mailbox()) for _ in range(count)]
    participant_ids = await asyncio.gather(
        *(
            covered_participant(
                p.enrollment,
                p.claims,
                today(),
                member_since=member_since(),
                heirs=[widow(phone), daughter(mailbox=mailbox)],
            )
            for phone, mailbox in contacts
        )
    )
    return [(participant_id, phone, mailbox) for participant_id, (phone, mailbox) in zip(participant_ids, contacts)]


async def caught_up(kafka_bootstrap: str, db: asyncpg.Pool, participant_ids: list[str]) -> bool:
    """Notifications knows these workers and has read everything on its topics."""
    known = await db.fetchval(
        "SELECT count(*) FROM participants WHERE participant_id = ANY($1::text[])", participant_ids
    )
    if known < len(participant_ids):
        return False
    for group, topic in NOTIFICATION_GROUPS:
        if not await group_caught_up(kafka_bootstrap, group, topic):
            return False
    return True


async def all_delivered(db: asyncpg.Pool, claim_ids: list[str], expected: int) -> bool:
    rows = await messages_of(db, claim_ids)
    return len(rows) >= expected and all(r["status"] == "delivered" for r in rows)


async def settled(db: asyncpg.Pool, claim_ids: list[str], expected: int) -> bool:
    """At least `expected` messages, none still waiting or being sent."""
    rows = await messages_of(db, claim_ids)
    return len(rows) >= expected and all(r["status"] not in ("pending", "sending") for r in rows)


async def ask_each_family(
    p: Pipeline,
    service: ServiceProcess,
    db: asyncpg.Pool,
    claim_ids: list[str],
    phones: list[str],
    mailboxes: list[str],
) -> None:
    """What an officer does with the `unknown` list: asks each family (here: the stand-ins'
    records), then confirms what arrived and resends what never did, through the API."""
    arrived = sent_by_provider(await provider_requests(p, phones)) + sent_by_mail(mails_to(p, mailboxes))
    officer = {"Authorization": f"Bearer {token('officer')}"}
    async with httpx.AsyncClient(base_url=service.url, headers=officer) as api:
        for m in await messages_of(db, claim_ids):
            if m["status"] == "unknown":
                action = "confirm" if arrived[key_of(m)] else "resend"
                answer = await api.post(f"/v1/notifications/{m['notification_id']}/{action}")
                assert answer.status_code == 200, answer.text


def assert_each_message_sent_once(
    p: Pipeline, messages: list[dict[str, Any]], requests: list[dict[str, Any]], mails: list[dict[str, Any]]
) -> None:
    per_triple = Counter((m["event_id"], m["heir_id"], m["channel"]) for m in messages)
    assert set(per_triple.values()) == {1}
    assert duplicates_per_channel(requests, mails) == {"whatsapp": 0, "sms": 0, "email": 0}
    assert sent_by_provider(requests) == {key_of(m): 1 for m in messages if m["channel"] == "whatsapp"}
    assert sent_by_mail(mails) == {key_of(m): 1 for m in messages if m["channel"] == "email"}


async def applied_by_claims_group(db: asyncpg.Pool) -> set[str]:
    rows = await db.fetch("SELECT event_id FROM inbox WHERE consumer = 'notifications.claims'")
    return {str(row["event_id"]) for row in rows}


@pytest.mark.parametrize("batch_size", [1, 100], ids=["one-by-one", "batched"])
async def test_notifications_killed_between_its_commit_and_the_offset_commit_sends_nothing_twice(
    kafka_bootstrap, database_url, tmp_path, batch_size
):
    consuming = {"NOTIFICATIONS_CONSUMER_BATCH_SIZE": str(batch_size)}
    async with (
        pipeline(kafka_bootstrap, database_url, tmp_path, notifications_in_process=False) as p,
        notifications_db(database_url) as db,
    ):
        service = await notifications_process(p, kafka_bootstrap, database_url, tmp_path, **consuming).start()
        try:
            workers = await families(p, 5)
            participant_ids = [w[0] for w in workers]
            await wait_until(
                lambda: caught_up(kafka_bootstrap, db, participant_ids),
                60,
                "notifications to know the five workers and read every topic to the end",
            )
        finally:
            service.stop()

        # While notifications is down, five claims are filed and paid out: a batch waits for it.
        claim_ids = [await file_jkm_claim(p, participant_id) for participant_id in participant_ids]
        for claim_id in claim_ids:
            await wait_for_status(p.claims, claim_id, "payout_recorded", 60)

        applied_before = await applied_by_claims_group(db)
        doomed = notifications_process(
            p,
            kafka_bootstrap,
            database_url,
            tmp_path,
            **consuming,
            JARING_FAULT_EXIT_AFTER_COMMIT="notifications.claims",
        ).launch()
        try:
            await wait_until(doomed.exited, 60, f"notifications to die at the fault (log: {doomed.log})")
        finally:
            doomed.kill()
        assert doomed.process.returncode == 86, doomed.log.read_text()[-3000:]

        # It died with the first event (one by one) or the first batch applied, and their offsets not
        # committed: they come again. The group reads a claim's four topics, so the first event applied
        # may be a decision that tells nobody anything: what was applied is what its inbox recorded.
        events = {
            str(read_envelope(r.value).event_id): r
            for topic in (CLAIMS_FILED, CLAIM_DECISIONS, PAYOUTS, DISBURSEMENTS)
            for r in await read_all(kafka_bootstrap, topic.name)
            if r.key is not None and r.key.decode() in claim_ids
        }
        applied = await applied_by_claims_group(db) - applied_before
        assert applied and applied <= set(events)
        assert {str(m["event_id"]) for m in await messages_of(db, claim_ids)} <= applied
        if batch_size == 1:
            assert len(applied) == 1
        for event_id in applied:
            record = events[event_id]
            committed = await committed_offsets(kafka_bootstrap, "notifications.claims", record.topic)
            assert committed.get(record.partition, 0) <= record.offset, (record.topic, committed)

        service = await notifications_process(p, kafka_bootstrap, database_url, tmp_path, **consuming).start()
        try:
            # 5 claims x (ClaimFiled, PayoutRecorded) x (widow by WhatsApp, daughter by email)
            await wait_until(lambda: settled(db, claim_ids, 20), 60, "the twenty messages settled")
            # The doomed process may have died with a message marked `sending`: WhatsApp and email
            # cannot be asked about it, so it is `unknown`, never resent blindly. The officer asks
            # the family (here: the stand-ins' records), confirms what arrived, resends what did not.
            await ask_each_family(p, service, db, claim_ids, [w[1] for w in workers], [w[2] for w in workers])
            await wait_until(lambda: all_delivered(db, claim_ids, 20), 60, "the twenty messages delivered")
            await wait_until(
                lambda: group_caught_up(
                    kafka_bootstrap, "notifications.claims", *(topic for _, topic in NOTIFICATION_GROUPS[1:])
                ),
                30,
                "the redelivered offsets committed",
            )
        finally:
            service.stop()

        messages = await messages_of(db, claim_ids)
        assert Counter(m["about_event"] for m in messages) == {"ClaimFiled": 10, "PayoutRecorded": 10}
        assert_each_message_sent_once(
            p, messages, await provider_requests(p, [w[1] for w in workers]), mails_to(p, [w[2] for w in workers])
        )


async def test_notifications_killed_mid_delivery_sends_no_message_twice(kafka_bootstrap, database_url, tmp_path):
    # The provider holds each answer for half a second after accepting the message, and the
    # kill comes within a poll (0.1 s) of its accepting one: whatever the random count, at
    # least that message is on the family's phone but not recorded as sent when the process
    # dies. The WhatsApp Cloud API cannot be asked about it and does not deduplicate, so the
    # restarted process must not send it again: it goes to `unknown` for an operator.
    async with (
        pipeline(
            kafka_bootstrap, database_url, tmp_path, notifications_in_process=False, provider_answer_delay=0.5
        ) as p,
        notifications_db(database_url) as db,
    ):
        service = await notifications_process(p, kafka_bootstrap, database_url, tmp_path).start()
        try:
            workers = await families(p, 20)
            await wait_until(
                lambda: caught_up(kafka_bootstrap, db, [w[0] for w in workers]),
                60,
                "notifications to know the twenty workers and read every topic to the end",
            )
            phones = [w[1] for w in workers]
            claim_ids = [await file_jkm_claim(p, w[0]) for w in workers]
            kill_after = random.randint(1, 30)  # of the 40 WhatsApp messages

            async def provider_has_accepted_enough() -> bool:
                return sum(sent_by_provider(await provider_requests(p, phones)).values()) >= kill_after

            await wait_until(provider_has_accepted_enough, 60, f"the provider to accept {kill_after} messages")
        finally:
            service.kill()  # SIGKILL: no shutdown, no lease given back, no offset committed
        assert service.process.returncode == -signal.SIGKILL

        service = await notifications_process(p, kafka_bootstrap, database_url, tmp_path).start()
        try:
            for claim_id in claim_ids:
                await wait_for_status(p.claims, claim_id, "payout_recorded", 60)
            await wait_until(
                lambda: settled(db, claim_ids, 80),
                60,
                f"the eighty messages settled (killed after {kill_after} accepted)",
            )
            requests = await provider_requests(p, phones)
            mails = mails_to(p, [w[2] for w in workers])
            messages = await messages_of(db, claim_ids)
            # Then the officer's round: every family asked, every message delivered, still once.
            await ask_each_family(p, service, db, claim_ids, phones, [w[2] for w in workers])
            await wait_until(lambda: all_delivered(db, claim_ids, 80), 60, "the eighty messages delivered")
        finally:
            service.stop()

        after_officer = (await provider_requests(p, phones), mails_to(p, [w[2] for w in workers]))
        assert duplicates_per_channel(*after_officer) == {"whatsapp": 0, "sms": 0, "email": 0}
        assert len(messages) == 80 and {m["status"] for m in messages} <= {"delivered", "unknown"}
        # Counted at the provider and the mail server, every request: nobody heard anything twice.
        assert duplicates_per_channel(requests, mails) == {"whatsapp": 0, "sms": 0, "email": 0}
        on_phones, in_mailboxes = sent_by_provider(requests), sent_by_mail(mails)
        delivered = [m for m in messages if m["status"] == "delivered"]
        assert all((on_phones if m["channel"] == "whatsapp" else in_mailboxes)[key_of(m)] == 1 for m in delivered)
        # The message whose answer the kill cut off is on the phone once, and left for an operator.
        unknown = [m for m in messages if m["status"] == "unknown"]
        assert any(m["channel"] == "whatsapp" and on_phones[key_of(m)] == 1 for m in unknown), (
            f"no WhatsApp answer was cut off: the kill after {kill_after} accepted missed the window"
        )


# --- 4. the words a family reads ---------------------------------------------------------------------------


def texts_to(requests: list[dict[str, Any]], phone: str) -> list[str]:
    return [request_text(r) for r in requests if addressee(r) == phone]


async def test_each_heir_reads_their_own_language_with_rupiah_written_out_and_no_nik(
    kafka_bootstrap, database_url, tmp_path
):
    async with pipeline(kafka_bootstrap, database_url, tmp_path) as p:
        widow_phone, daughter_phone, daughter_mailbox = new_mobile(), new_mobile(), new_mailbox()
        form = participant_form(
            full_name=unique_name("Sitti Rahmawati"),
            member_since=member_since().isoformat(),
            heirs=[widow(widow_phone, "id"), daughter(mailbox=daughter_mailbox, phone=daughter_phone, language="en")],
        )
        registered = await p.enrollment.post("/v1/participants", json=form)
        assert registered.status_code == 201, registered.text
        participant_id = registered.json()["participant_id"]
        await pay(p.enrollment, participant_id, Period.of(today()), today())
        await claims_knows(p.claims, participant_id, form["full_name"], "active")
        claim_id = await file_jkm_claim(p, participant_id)
        await wait_for_status(p.claims, claim_id, "payout_recorded", 60)

        async def six_delivered() -> bool:  # 2 events x (widow's WhatsApp, daughter's WhatsApp and email)
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return len(rows) == 6 and all(r["status"] == "delivered" for r in rows)

        await wait_until(six_delivered, 30, "six messages delivered")
        requests = await provider_requests(p, [widow_phone, daughter_phone])
        mails = mails_to(p, [daughter_mailbox])
        indonesian = texts_to(requests, widow_phone)
        english = texts_to(requests, daughter_phone) + [mail_text(p, m) for m in mails]
        assert len(indonesian) == 2 and len(english) == 4

        name = form["full_name"]
        # A death: every message opens with condolences (WhatsApp after the greeting; email in its subject).
        assert all(
            t.splitlines()[:3] == ["Bapak/Ibu yang kami hormati,", "", f"Turut berduka cita atas meninggalnya {name}."]
            for t in indonesian
        )
        whatsapp_en, mail_en = english[:2], english[2:]
        assert all(
            t.splitlines()[:3] == ["Dear Sir or Madam,", "", f"Our condolences on the death of {name}."]
            for t in whatsapp_en
        )
        assert sorted(t.splitlines()[0] for t in mail_en) == [
            f"Our condolences on the death of {name}. The JKM claim has been received",
            f"Our condolences on the death of {name}. The JKM claim is approved: Rp 21.000.000",
        ]
        # PP 82/2019: 20,000,000 + 12,000,000 + 10,000,000, split between the widow and the daughter:
        # each reads her own lines, 10,000,000 + 6,000,000 + 5,000,000 = 21,000,000, and not the other's.
        payout_id = next(t for t in indonesian if "disetujui" in t)
        assert "Santunan sekaligus: Rp 10.000.000 untuk Andi Baso" in payout_id
        assert "Jumlah uang yang dibayarkan: Rp 21.000.000" in payout_id
        assert "Nurul Aisyah" not in payout_id and "Rp 42.000.000" not in payout_id
        payout_en = [t for t in english if "is approved" in t]
        assert len(payout_en) == 2
        assert all("Lump-sum benefit: Rp 10.000.000 to Nurul Aisyah" in t for t in payout_en)
        assert all("Total money to be paid: Rp 21.000.000" in t for t in payout_en)
        assert not any("Andi Baso" in t for t in payout_en)
        assert not any(word in t for t in indonesian for word in ("Dear", "claim", "approved", "Total"))
        assert not any(word in t for t in english for word in ("Bapak/Ibu", "Klaim", "disetujui", "Jumlah"))

        everything = indonesian + english
        amounts = [a.strip() for t in everything for a in RUPIAH.findall(t)]
        assert amounts and all(re.fullmatch(r"Rp \d{1,3}(\.\d{3})*", a) for a in amounts), amounts
        assert all(f"NIK {mask_nik(form['nik'])}" in t for t in everything)
        assert not any(full_niks_in(t) for t in everything)  # no NIK, nor a KTP or KK number
        received = json.dumps(requests) + "".join(mail_text(p, m, all_headers=True) for m in mails)
        assert form["nik"] not in received

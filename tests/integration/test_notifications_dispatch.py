"""The dispatcher against real PostgreSQL and the provider stand-in over real HTTP: a message
is marked `sending` before the call; a sender whose lease runs out writes nothing; a second
dispatcher never resends blindly: it asks the SMS gateway by reference, and leaves a
WhatsApp message whose answer was lost `unknown` for an operator. Counted at the provider:
every request it received."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.notifications import repository as repo
from services.notifications.app import build_spec
from services.notifications.channels import Channel, SmsChannel, WhatsAppChannel
from services.notifications.dispatcher import Dispatcher
from services.notifications.domain.messages import CLAIM_FILED, ClaimNotice, RenderedMessage, render
from services.notifications.settings import NotificationsSettings
from shared.db import apply_migrations, create_pool
from shared.privacy import mask_nik
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import provider_server

pytestmark = pytest.mark.integration

MESSAGE = render(CLAIM_FILED, ClaimNotice("CLM-1", "JKM", "Daeng Rahman", mask_nik("7371011204800003")))


@pytest.fixture
async def db(database_url: str, unique: str) -> AsyncIterator[asyncpg.Pool]:
    schema = f"notif_dispatch_{unique}"
    await apply_migrations(database_url, schema, build_spec().migrations)
    pool = await create_pool(database_url, schema, max_size=6)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def provider(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with provider_server(tmp_path / "provider") as url, httpx.AsyncClient(base_url=url) as client:
        yield client


def settings(**overrides: Any) -> NotificationsSettings:
    return NotificationsSettings(
        **{
            "delivery_lease_seconds": 1.0,
            "delivery_send_timeout_seconds": 0.5,
            "delivery_retry_base_seconds": 0.1,
            "delivery_retry_cap_seconds": 0.2,
            **overrides,
        }
    )


# The channels a test made, closed after it (each holds an HTTP session with kept connections).
_made: list[SmsChannel | WhatsAppChannel] = []


@pytest.fixture(autouse=True)
async def close_channels() -> AsyncIterator[None]:
    yield
    while _made:
        await _made.pop().aclose()


def channels_for_test(provider: httpx.AsyncClient, s: NotificationsSettings) -> dict[str, Channel]:
    url = str(provider.base_url).rstrip("/")
    sms = SmsChannel(url, "t", "JARING", timeout=s.delivery_send_timeout_seconds)
    whatsapp = WhatsAppChannel(url, "t", "100000000000001", timeout=s.delivery_send_timeout_seconds)
    _made.extend((sms, whatsapp))
    return {"sms": sms, "whatsapp": whatsapp}


class Stalled:
    """A channel whose process stalls after the provider answered (a GC pause, a stopped
    VM): the answer comes back only after the lease has run out."""

    def __init__(self, channel: Channel, seconds: float):
        self.channel, self.seconds = channel, seconds
        self.name, self.can_look_up = channel.name, channel.can_look_up

    async def send(self, to: str, message: RenderedMessage, key: str, reference: str | None = None) -> Any:
        result = await self.channel.send(to, message, key, reference)
        await asyncio.sleep(self.seconds)
        return result

    async def look_up(self, reference: str) -> bool | None:
        return await self.channel.look_up(reference)


async def queue_messages(db: asyncpg.Pool, channel: str, count: int) -> list[tuple[str, str]]:
    """`count` messages on `channel`, each to its own number: (notification_id, phone)."""
    rows = []
    for _ in range(count):
        phone = f"+62813{uuid.uuid4().int % 10**8:08d}"
        rows.append(
            {
                "notification_id": f"N-{uuid.uuid4().hex[:12]}",
                "event_id": uuid.uuid4(),
                "about_event": CLAIM_FILED,
                "claim_id": f"CLM-{uuid.uuid4().hex[:8]}",
                "participant_id": "P-1",
                "heir_id": "H-1",
                "channel": channel,
                "address": phone,
                "language": "id",
                "subject": MESSAGE.subject,
                "body": MESSAGE.body,
                "template": MESSAGE.template,
                "template_params": MESSAGE.parameters,
            }
        )
    async with db.acquire() as conn:
        await repo.insert_notifications(conn, rows)
    return [(r["notification_id"], r["address"]) for r in rows]


async def received(provider: httpx.AsyncClient, phone: str) -> int:
    """Every message request the provider accepted for this number: what the family's phone shows."""
    return sum(
        1
        for r in (await provider.get("/_requests")).json()
        if isinstance(r["body"], dict)
        and str(r["body"].get("to", "")).lstrip("+") == phone.lstrip("+")
        and r["status"] == 200
    )


async def state_of(db: asyncpg.Pool, notification_id: str) -> dict[str, Any]:
    row = await db.fetchrow("SELECT * FROM notifications WHERE notification_id = $1", notification_id)
    events = await db.fetch("SELECT event_type FROM outbox WHERE key = $1", row["claim_id"])
    attempts = await db.fetch(
        "SELECT outcome FROM delivery_attempts WHERE notification_id = $1 ORDER BY attempt", notification_id
    )
    return {
        "status": row["status"],
        "events": [e["event_type"] for e in events],
        "attempts": [a["outcome"] for a in attempts],
    }


async def keep_dispatching(dispatcher: Dispatcher, until, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await until():
        assert time.monotonic() < deadline, "the dispatcher did not settle the messages in time"
        if not await dispatcher.dispatch_due():
            await asyncio.sleep(0.05)


async def none_sending(db: asyncpg.Pool, ids: list[str]) -> bool:
    return (
        await db.fetchval(
            "SELECT count(*) FROM notifications WHERE notification_id = ANY($1::text[]) "
            "AND status IN ('pending', 'sending')",
            ids,
        )
        == 0
    )


# --- 3. a lease that runs out during a slow send ----------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "events"),
    [
        ("sms", ["NotificationDelivered"]),  # the gateway says it has the reference; the late answer is fenced off
        # The Cloud API cannot be asked: `unknown` for an operator, until the stalled sender's answer
        # ("delivered") comes back and settles that same attempt.
        ("whatsapp", ["NotificationFailed", "NotificationDelivered"]),
    ],
)
async def test_a_sender_whose_lease_ran_out_is_fenced_and_the_second_dispatcher_does_not_resend(
    db, provider, channel, events
):
    s = settings()
    real = channels_for_test(provider, s)
    stalled = Dispatcher(db, {channel: Stalled(real[channel], 2.0)}, s)  # lease 1 s, answer after 2 s
    second = Dispatcher(db, real, s)
    [(notification_id, phone)] = await queue_messages(db, channel, 1)

    first_send = asyncio.create_task(stalled.dispatch_due())
    await wait_until(lambda: _received_once(provider, phone), 10, "the provider to have the message")
    # Inside the first lease, the second dispatcher does not touch a message being sent.
    assert await second.dispatch_due() == 0
    assert (await state_of(db, notification_id))["status"] == "sending"

    await keep_dispatching(second, lambda: none_sending(db, [notification_id]), 15)
    assert await first_send == 1  # it came back after its lease, and its result was fenced off

    assert await received(provider, phone) == 1
    settled = await state_of(db, notification_id)
    assert (settled["status"], settled["events"]) == ("delivered", events)
    assert len(settled["attempts"]) == 1


async def _received_once(provider: httpx.AsyncClient, phone: str) -> bool:
    return await received(provider, phone) >= 1


@pytest.mark.parametrize(("channel", "settled_as"), [("sms", "delivered"), ("whatsapp", "unknown")])
async def test_two_dispatchers_and_a_provider_slower_than_the_timeout_send_each_message_once(
    db, provider, channel, settled_as
):
    s = settings()
    dispatchers = [Dispatcher(db, channels_for_test(provider, s), s) for _ in range(2)]
    queued = await queue_messages(db, channel, 4)
    ids = [n for n, _ in queued]
    assert (await provider.post("/_control/slow", json={"seconds": 0.8})).status_code == 200  # timeout 0.5 s

    async def both_settled() -> bool:
        return await none_sending(db, ids)

    await asyncio.gather(*(keep_dispatching(d, both_settled, 20) for d in dispatchers))
    await provider.post("/_control/slow", json={"seconds": 0})
    assert [await received(provider, phone) for _, phone in queued] == [1, 1, 1, 1]
    assert {(await state_of(db, n))["status"] for n in ids} == {settled_as}


# --- 2. recovery after a crash before the provider got the message -----------------------------------


async def crash_after_marking(db: asyncpg.Pool, s: NotificationsSettings) -> None:
    """A dispatcher marked the batch `sending` (committed) and died before calling anyone."""
    async with db.acquire() as conn:
        assert await repo.lease_due(conn, 10, 0.2)


async def test_an_sms_the_gateway_never_got_is_sent_after_asking_and_only_once(db, provider):
    s = settings()
    [(notification_id, phone)] = await queue_messages(db, "sms", 1)
    await crash_after_marking(db, s)
    assert (await state_of(db, notification_id))["status"] == "sending"

    await keep_dispatching(
        Dispatcher(db, channels_for_test(provider, s), s), lambda: none_sending(db, [notification_id]), 15
    )
    settled = await state_of(db, notification_id)
    assert settled["status"] == "delivered"
    assert settled["attempts"] == ["temporary_failure", "delivered"]  # the lost attempt, then the real one
    assert await received(provider, phone) == 1


async def test_a_whatsapp_message_left_sending_goes_to_an_operator_who_can_resend_it(db, provider):
    s = settings()
    dispatcher = Dispatcher(db, channels_for_test(provider, s), s)
    [(notification_id, phone)] = await queue_messages(db, "whatsapp", 1)
    await crash_after_marking(db, s)

    await keep_dispatching(dispatcher, lambda: none_sending(db, [notification_id]), 15)
    assert (await state_of(db, notification_id))["status"] == "unknown"
    assert await received(provider, phone) == 0  # nothing resent blindly
    async with db.acquire() as conn:
        assert await repo.resend(conn, notification_id)  # the operator checked: it never arrived
    await keep_dispatching(dispatcher, lambda: none_sending(db, [notification_id]), 15)
    assert (await state_of(db, notification_id))["status"] == "delivered"
    assert await received(provider, phone) == 1


async def test_a_dispatcher_stopped_mid_batch_puts_back_what_it_had_not_sent(db, provider):
    s = settings(delivery_concurrency=1, delivery_lease_seconds=5.0, delivery_send_timeout_seconds=3.0)
    queued = await queue_messages(db, "whatsapp", 3)
    await provider.post("/_control/slow", json={"seconds": 1.0})
    dispatching = asyncio.create_task(Dispatcher(db, channels_for_test(provider, s), s).dispatch_due())

    async def one_in_flight() -> bool:
        return sum([await received(provider, phone) for _, phone in queued]) == 1

    await wait_until(one_in_flight, 10, "the first of three sends (one at a time) to reach the provider")
    dispatching.cancel()  # a graceful stop: the task is cancelled mid-batch
    with pytest.raises(asyncio.CancelledError):
        await dispatching
    statuses = sorted([(await state_of(db, n))["status"] for n, _ in queued])
    # The one in flight may be on the phone: it stays `sending` for the recovery rule; the two never
    # sent are simply due again, not `unknown`.
    assert statuses == ["pending", "pending", "sending"]
    assert await db.fetchval("SELECT sum(attempts) FROM notifications") == 1


async def test_answers_in_hand_during_a_database_outage_are_written_when_it_is_back(db, provider, database_url):
    s = settings(delivery_lease_seconds=30.0, delivery_send_timeout_seconds=2.0)
    queued = await queue_messages(db, "whatsapp", 2)
    dispatcher = Dispatcher(db, channels_for_test(provider, s), s)
    real_record, failures = dispatcher._record, []

    async def record_after_an_outage(results):
        if len(failures) < 3:  # the database refuses the first three writes
            failures.append(len(results))
            raise ConnectionError("the database is down")
        await real_record(results)

    dispatcher._record = record_after_an_outage
    assert await dispatcher.dispatch_due() == 2
    assert failures and all(n >= 1 for n in failures)
    assert [(await state_of(db, n))["status"] for n, _ in queued] == ["delivered", "delivered"]
    assert [await received(provider, phone) for _, phone in queued] == [1, 1]


# --- a round's answers in one transaction (issue 17) -------------------------------------------------


class Paced:
    """A channel whose provider answers each number after its own delay (a latency that varies)."""

    def __init__(self, channel: Channel, delays: dict[str, float]):
        self.channel, self.delays = channel, delays
        self.name, self.can_look_up = channel.name, channel.can_look_up

    async def send(self, to: str, message: RenderedMessage, key: str, reference: str | None = None) -> Any:
        await asyncio.sleep(self.delays[to])
        return await self.channel.send(to, message, key, reference)

    async def look_up(self, reference: str) -> bool | None:
        return await self.channel.look_up(reference)


async def test_a_rounds_answers_are_written_in_one_transaction_and_a_slow_one_not_waited_for(db, provider):
    s = settings(delivery_lease_seconds=30.0, delivery_send_timeout_seconds=10.0, delivery_record_window_seconds=1.0)
    queued = await queue_messages(db, "whatsapp", 9)
    # Eight answers 0.02 s apart (all inside the 1 s window from the first), the ninth after 3 s.
    delays = {phone: 0.02 * i for i, (_, phone) in enumerate(queued[:8])} | {queued[8][1]: 3.0}
    dispatcher = Dispatcher(db, {"whatsapp": Paced(channels_for_test(provider, s)["whatsapp"], delays)}, s)
    assert await dispatcher.dispatch_due() == 9

    ids = [n for n, _ in queued]
    # xmin: the transaction that last wrote a row. The eight quick answers in one, with their events;
    # the slow one, not waited for past the window, in another.
    rows = await db.fetch(
        "SELECT notification_id, status, xmin::text AS tx FROM notifications WHERE notification_id = ANY($1::text[])",
        ids,
    )
    assert {r["status"] for r in rows} == {"delivered"}
    quick = {r["tx"] for r in rows if r["notification_id"] != ids[-1]}
    late = {r["tx"] for r in rows if r["notification_id"] == ids[-1]}
    assert len(quick) == 1 and len(late) == 1 and quick != late
    events = await db.fetch("SELECT xmin::text AS tx FROM outbox WHERE event_type = 'NotificationDelivered'")
    assert sorted(e["tx"] for e in events) == sorted([*quick] * 8 + [*late])
    assert [await received(provider, phone) for _, phone in queued] == [1] * 9

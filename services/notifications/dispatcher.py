"""Sends queued messages through their channels, records every attempt, retries with backoff.

Mark before send, ask before resend:
- A batch of due messages is leased in one committed transaction that marks each
  `sending`, with the attempt's number, its reference at the provider and a fresh lease
  token; only then is any provider called.
- A round's answers are written together, in one transaction (one statement for the
  attempts, one for their events): once the first has come, the writer waits for the rest
  of the round for at most `delivery_record_window_seconds`, so a slow provider holds no
  answer longer than that. Each with NotificationDelivered / NotificationFailed (outbox), and
  only if the lease token is still the message's: a sender whose lease ran out writes
  nothing — except a "delivered" for the very attempt the recovery rule left `unknown`,
  which settles it. Answers in hand survive a database outage (they are written when it is
  back) and a shutdown (written before the dispatcher stops).
- A sender never starts a request it could not finish inside its lease (the channels'
  timeout is shorter than the lease, and a send that would start too late is put back),
  so once a lease has run out the request is over, answered or not.
- A message found `sending` past its lease lost its sender or its answer. It is never
  resent blindly, because neither provider deduplicates (a resend is a second message to
  a grieving family): the SMS gateway is asked by the attempt's reference, and the
  message is sent again only if the gateway never got it; WhatsApp and email offer no
  such question, so the message goes to `unknown` for an operator, who checks with the
  family and resends it (POST /v1/notifications/{id}/resend) if it never arrived. We chose
  that over resending: a missed message is caught by the operator's list and the claim's
  own timeline, a doubled one cannot be taken back. The window in which this can happen
  is from the provider's accepting to our commit of its answer: the record window and one
  round trip to PostgreSQL. docs/notifications.md has the states and windows per channel.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.notifications import repository as repo
from services.notifications.channels import Channel
from services.notifications.domain.delivery import (
    AttemptResult,
    Outcome,
    Status,
    after_attempt,
    after_lost_answer,
    next_retry_delay,
)
from services.notifications.domain.messages import RenderedMessage
from services.notifications.domain.recipients import dedup_key
from services.notifications.handlers import DUE_CHANNEL
from services.notifications.metrics import DELIVERY_ATTEMPTS, NOTIFICATIONS_FINISHED
from services.notifications.settings import NotificationsSettings
from shared.consuming import INFRASTRUCTURE_ERRORS
from shared.contracts.notifications import NotificationDelivered, NotificationFailed
from shared.db import keep_listening
from shared.envelope import new_envelope
from shared.inbox import traces_of
from shared.logs import get_logger
from shared.outbox import add_events
from shared.tracing import continuing

log = get_logger("notifications.dispatcher")

# How often the first dispatcher loop looks for due messages when idle (the others: ten times less).
IDLE_POLL_SECONDS = 0.5
# How often per lease a dispatcher looks for messages whose sender was lost (lease 60 s: every 6 s).
LOST_LOOKS_PER_LEASE = 10

# (notification row, what came of it, the status it leads to)
Result = tuple[dict[str, Any], AttemptResult, Status]


class Dispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: dict[str, Channel],
        settings: NotificationsSettings,
        traced_by: Sequence[str] = (),
    ):
        self._pool = pool
        # The consumers whose inbox rows hold the trace of the event a message is about: each
        # message is sent, and its outcome published, in its claim's trace.
        self._traced_by = list(traced_by)
        self._channels = channels
        self._settings = settings
        self._idle: list[asyncio.Future[None]] = []  # workers asleep with nothing due
        self._limit = asyncio.Semaphore(settings.delivery_concurrency)
        # When messages were last looked for past their lease (see dispatch_due).
        self._lost_looked_at = float("-inf")

    async def dispatch_due(self) -> int:
        """Settles messages whose sender was lost, then sends one batch of due messages and
        records what came of them; returns how many messages it handled."""
        settings = self._settings
        loop = asyncio.get_running_loop()
        lost: list[dict[str, Any]] = []
        # A message is lost only once its lease ran out, so looking for lost ones a few times per
        # lease finds them soon enough; looking on every round cost a transaction per batch sent.
        if loop.time() - self._lost_looked_at >= settings.delivery_lease_seconds / LOST_LOOKS_PER_LEASE:
            self._lost_looked_at = loop.time()
            async with self._pool.acquire() as conn, conn.transaction():
                lost = await repo.lease_lost(conn, settings.delivery_batch_size, settings.delivery_lease_seconds)
                await self._find_traces(conn, lost)
            if len(lost) == settings.delivery_batch_size:
                self._lost_looked_at = float("-inf")  # more may be waiting: look again next round
        if lost:
            await self._record(list(await asyncio.gather(*(self._settle(n) for n in lost))))
        # The lease is counted from before it was taken: the local deadline is never later than the database's.
        deadline = loop.time() + settings.delivery_lease_seconds
        async with self._pool.acquire() as conn, conn.transaction():
            due = await repo.lease_due(conn, settings.delivery_batch_size, settings.delivery_lease_seconds)
            await self._find_traces(conn, due)
        if due:
            await self._send_all(due, deadline)
        return len(lost) + len(due)

    async def _find_traces(self, conn: asyncpg.Connection, notifications: list[dict[str, Any]]) -> None:
        if self._traced_by and notifications:
            traces = await traces_of(conn, self._traced_by, [n["event_id"] for n in notifications])
            for notification in notifications:
                notification["traceparent"] = traces.get(notification["event_id"])

    async def _settle(self, notification: dict[str, Any]) -> Result:
        """A message left `sending` past its lease: ask the provider where it can be asked."""
        channel = self._channels.get(notification["channel"])
        can_look_up = bool(channel and channel.can_look_up)
        found = await channel.look_up(notification["reference"]) if can_look_up and channel else None
        status = after_lost_answer(can_look_up, found)
        attempt = notification["attempts"]
        if status == Status.PENDING:
            # The provider never got it: that attempt failed, and counts against the budget.
            status = after_attempt(attempt, Outcome.TEMPORARY_FAILURE, self._settings.delivery_max_attempts)
            result = AttemptResult(Outcome.TEMPORARY_FAILURE, "the sender stopped before the provider got it")
        elif status == Status.DELIVERED:
            result = AttemptResult(Outcome.DELIVERED, f"the provider has reference {notification['reference']}")
        elif status == Status.UNKNOWN:
            result = AttemptResult(
                Outcome.NO_ANSWER,
                f"the sender lost the answer; {notification['channel']} "
                "cannot be asked: an operator checks with the family",
            )
        else:
            result = AttemptResult(Outcome.NO_ANSWER, "the provider could not say; asking again later")
        return notification, result, status

    async def _send_all(self, due: list[dict[str, Any]], deadline: float) -> None:
        """Sends the batch side by side and writes the answers together: from the first, it
        waits for the rest of the batch for at most the record window, and answers that come
        while a write is under way share the next one. Stopped (shutdown), it writes the
        answers in hand and puts back the messages it had not yet sent: only a request in
        flight can be unknown."""
        answers: asyncio.Queue[Result] = asyncio.Queue()
        started: set[str] = set()
        ready: list[Result] = []

        async def send(notification: dict[str, Any]) -> None:
            await answers.put(await self._send(notification, deadline, started))

        senders = [asyncio.create_task(send(n)) for n in due]
        try:
            left = len(due)
            while left:
                ready.append(await answers.get())
                # A transaction per answer cost the most of sending (issue 17): the round's in one.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._settings.delivery_record_window_seconds):
                        while len(ready) < left:
                            ready.append(await answers.get())
                while not answers.empty():
                    ready.append(answers.get_nowait())
                left -= len(ready)
                await self._record_until_written(ready)
                ready = []
        except asyncio.CancelledError:
            for task in senders:
                task.cancel()
            while not answers.empty():
                ready.append(answers.get_nowait())
            unsent = [(n["notification_id"], n["lease_token"]) for n in due if n["notification_id"] not in started]
            # Answers in hand are written (the family has those messages), the unsent put back.
            await asyncio.shield(self._stop_cleanly(ready, unsent))
            raise
        finally:
            for task in senders:
                task.cancel()

    async def _record_until_written(self, results: list[Result]) -> None:
        """The answers are in hand: losing them to a database outage would leave messages the
        family has as `unknown`. Kept and written once the database is back (the fence, or
        the late-answer rule, decides whether they still count)."""
        while True:
            try:
                await self._record(results)
                return
            except INFRASTRUCTURE_ERRORS as exc:  # PostgreSQL away: worth waiting for; anything else is a bug
                log.warning("dispatcher.record_failed", error=repr(exc), results=len(results))
                await asyncio.sleep(0.5)

    async def _stop_cleanly(self, answered: list[Result], unsent: list[tuple[str, Any]]) -> None:
        if answered:
            await self._record(answered)
        if unsent:
            async with self._pool.acquire() as conn:
                await repo.put_back(conn, unsent)

    async def _send(self, notification: dict[str, Any], deadline: float, started: set[str]) -> Result:
        channel = self._channels.get(notification["channel"])
        message = RenderedMessage(
            notification["subject"],
            notification["body"],
            notification.get("template"),
            notification["language"],
            tuple(notification.get("template_params") or ()),
        )
        key = dedup_key(str(notification["event_id"]), notification["heir_id"], notification["channel"])
        with continuing(
            notification.get("traceparent"),
            f"notification send {notification['channel']}",
            correlation_id=notification["claim_id"],
            event_id=str(notification["event_id"]),
            attributes={
                "jaring.notification_id": notification["notification_id"],
                "jaring.channel": notification["channel"],
            },
        ):
            result = await self._send_once(notification, channel, message, key, deadline, started)
            log.debug(
                "notification.attempted",
                notification_id=notification["notification_id"],
                channel=notification["channel"],
                outcome=str(result.outcome),
            )
        can_look_up = bool(channel and channel.can_look_up)
        status = after_attempt(
            notification["attempts"], result.outcome, self._settings.delivery_max_attempts, can_look_up
        )
        return notification, result, status

    async def _send_once(
        self,
        notification: dict[str, Any],
        channel: Channel | None,
        message: RenderedMessage,
        key: str,
        deadline: float,
        started: set[str],
    ) -> AttemptResult:
        async with self._limit:
            if channel is None:
                result = AttemptResult(Outcome.PERMANENT_FAILURE, f"no channel {notification['channel']} configured")
            elif asyncio.get_running_loop().time() + self._settings.delivery_send_timeout_seconds > deadline:
                # Too late to finish inside the lease: not sent, put back for the next round.
                result = AttemptResult(Outcome.TEMPORARY_FAILURE, "not sent: the lease was too short to send in")
            else:
                started.add(notification["notification_id"])  # from here the provider may get it
                try:
                    result = await channel.send(notification["address"], message, key, notification["reference"])
                except Exception as exc:  # noqa: BLE001 - an adapter bug: whether it sent is not known
                    result = AttemptResult(Outcome.NO_ANSWER, f"channel error: {exc!r}")
        return result

    async def _record(self, results: list[Result]) -> None:
        """Results, and the events of the finished messages, in one transaction; a result
        whose lease token is no longer the message's is dropped (the fence)."""
        settings = self._settings
        attempts, events, counted, traces = [], {}, [], {}
        for notification, result, status in results:
            attempt = notification["attempts"]
            counted.append((notification["notification_id"], notification["channel"], str(result.outcome), status))
            retry_in = (
                next_retry_delay(attempt, settings.delivery_retry_base_seconds, settings.delivery_retry_cap_seconds)
                if status in (Status.PENDING, Status.SENDING)
                else None
            )
            attempts.append(
                (
                    notification["notification_id"],
                    notification["lease_token"],
                    attempt,
                    str(result.outcome),
                    result.detail,
                    str(status),
                    retry_in,
                    result.provider_message_id,
                )
            )
            common = dict(
                notification_id=notification["notification_id"],
                claim_id=notification["claim_id"],
                heir_id=notification["heir_id"],
                channel=notification["channel"],
                about_event=notification["about_event"],
                attempts=attempt,
            )
            if status == Status.DELIVERED:
                payload: Any = NotificationDelivered(**common)
            elif status in (Status.FAILED, Status.UNKNOWN):
                # Unknown is not delivered as far as anyone can tell: claims shows it like a failure.
                payload = NotificationFailed(**common, last_error=result.detail[:500])
                log.warning(
                    f"notification.{status}",
                    notification_id=notification["notification_id"],
                    claim_id=notification["claim_id"],
                    channel=notification["channel"],
                    attempts=attempt,
                )
            else:
                continue
            traces[notification["notification_id"]] = notification.get("traceparent")
            events[notification["notification_id"]] = new_envelope(
                payload,
                correlation_id=notification["claim_id"],
                producer="notifications",
                causation_id=str(notification["event_id"]),
            )
        async with self._pool.acquire() as conn, conn.transaction():
            written = await repo.record_attempts(conn, attempts)
            finished = [notification_id for notification_id in events if notification_id in written]
            if finished:
                await add_events(
                    conn, [events[n] for n in finished], "notifications", traceparents=[traces[n] for n in finished]
                )
        fenced = {a[0] for a in attempts} - written
        if fenced:
            log.warning("dispatcher.fenced", notification_ids=sorted(fenced))
        # Counted once recorded: a fenced result was not this worker's to record.
        for notification_id, channel, outcome, status in counted:
            if notification_id not in written:
                continue
            DELIVERY_ATTEMPTS.labels(channel, outcome).inc()
            if status not in (Status.PENDING, Status.SENDING):
                NOTIFICATIONS_FINISHED.labels(channel, str(status)).inc()

    async def run(self) -> None:
        """Sends until cancelled: `delivery_workers` loops lease batches side by side (SKIP LOCKED
        keeps them apart, as it does between instances), so one batch is sent while another is
        leased or recorded; `delivery_concurrency` still caps the sends in flight. A loop with
        nothing due sleeps until a NOTIFY (a message queued) wakes it; the first loop also looks
        every half second (messages held or retried become due without a NOTIFY), the others
        every few seconds, and a loop that leased a full batch wakes a sleeping one."""
        # Listening again after PostgreSQL restarts: a lost LISTEN would leave only the polls.
        listening = asyncio.create_task(keep_listening(self._pool, DUE_CHANNEL, self._on_notify))
        try:
            await asyncio.gather(
                *(
                    self._work(IDLE_POLL_SECONDS if i == 0 else IDLE_POLL_SECONDS * 10)
                    for i in range(max(1, self._settings.delivery_workers))
                )
            )
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening

    async def _work(self, idle_seconds: float) -> None:
        while True:
            try:
                attempted = await self.dispatch_due()
            except Exception as exc:  # noqa: BLE001 - the dispatcher outlives a database hiccup
                log.warning("dispatcher.failed", error=repr(exc))
                attempted = 0
            if attempted >= self._settings.delivery_batch_size:
                self._on_notify()  # more may be due: another loop takes the next batch meanwhile
            elif not attempted:
                await self._sleep(idle_seconds)

    async def _sleep(self, seconds: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(waiter, seconds)
        finally:
            with contextlib.suppress(ValueError):
                self._idle.remove(waiter)

    def _on_notify(self, *_args: object) -> None:
        # One queued batch of messages wakes one sleeping worker, not all of them: the others
        # would each lease nothing. Under load NOTIFYs keep coming and every worker is busy.
        while self._idle:
            waiter = self._idle.pop()
            if not waiter.done():
                waiter.set_result(None)
                return

"""Sends queued messages through their channels, records every attempt, retries with backoff.

A batch of due messages is leased (so two dispatchers never send the same one at the
same time), sent outside any transaction, and the batch's results recorded together in
one transaction with their NotificationDelivered / NotificationFailed events (outbox):
one commit per batch, not one per message. A dispatcher killed after a provider
accepted a message but before recording it leaves the lease to expire; the retry
carries the same idempotency key, which the providers (and the mail's Message-ID) use
to drop the duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg

from services.notifications import repository as repo
from services.notifications.channels import Channel
from services.notifications.domain.delivery import AttemptResult, Outcome, Status, after_attempt, next_retry_delay
from services.notifications.domain.messages import RenderedMessage
from services.notifications.domain.recipients import dedup_key
from services.notifications.handlers import DUE_CHANNEL
from services.notifications.metrics import DELIVERY_ATTEMPTS, NOTIFICATIONS_FINISHED
from services.notifications.settings import NotificationsSettings
from shared.contracts.notifications import NotificationDelivered, NotificationFailed
from shared.envelope import new_envelope
from shared.logs import get_logger
from shared.outbox import add_events

log = get_logger("notifications.dispatcher")


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, channels: dict[str, Channel], settings: NotificationsSettings):
        self._pool = pool
        self._channels = channels
        self._settings = settings
        self._idle: list[asyncio.Future[None]] = []  # workers asleep with nothing due
        self._limit = asyncio.Semaphore(settings.delivery_concurrency)

    async def dispatch_due(self) -> int:
        """Sends one batch of due messages and records what came of them; returns how many it attempted."""
        async with self._pool.acquire() as conn, conn.transaction():
            due = await repo.lease_due(conn, self._settings.delivery_batch_size, self._settings.delivery_lease_seconds)
        if due:
            results = await asyncio.gather(*(self._send(n) for n in due))
            await self._record(list(zip(due, results)))
        return len(due)

    async def _send(self, notification: dict[str, Any]) -> AttemptResult:
        channel = self._channels.get(notification["channel"])
        message = RenderedMessage(notification["subject"], notification["body"])
        key = dedup_key(str(notification["event_id"]), notification["heir_id"], notification["channel"])
        async with self._limit:
            if channel is None:
                return AttemptResult(Outcome.PERMANENT_FAILURE, f"no channel {notification['channel']} configured")
            try:
                return await channel.send(notification["address"], message, key)
            except Exception as exc:  # noqa: BLE001 - an adapter bug is a temporary failure, retried
                return AttemptResult(Outcome.TEMPORARY_FAILURE, f"channel error: {exc!r}")

    async def _record(self, outcomes: list[tuple[dict[str, Any], AttemptResult]]) -> None:
        """Every attempt of the batch, and the events of the finished ones, in one transaction."""
        settings = self._settings
        attempts, envelopes, counted = [], [], []
        for notification, result in outcomes:
            attempt = notification["attempts"] + 1
            status = after_attempt(attempt, result.outcome, settings.delivery_max_attempts)
            counted.append((notification["channel"], str(result.outcome), status))
            retry_in = (next_retry_delay(attempt, settings.delivery_retry_base_seconds,
                                         settings.delivery_retry_cap_seconds) if status == Status.PENDING else None)
            attempts.append((notification["notification_id"], attempt, str(result.outcome), result.detail,
                             str(status), retry_in, result.provider_message_id))
            common = dict(notification_id=notification["notification_id"], claim_id=notification["claim_id"],
                          heir_id=notification["heir_id"], channel=notification["channel"],
                          about_event=notification["about_event"], attempts=attempt)
            if status == Status.DELIVERED:
                payload: Any = NotificationDelivered(**common)
            elif status == Status.FAILED:
                payload = NotificationFailed(**common, last_error=result.detail[:500])
                log.warning("notification.failed", notification_id=notification["notification_id"],
                            claim_id=notification["claim_id"], channel=notification["channel"], attempts=attempt)
            else:
                continue
            envelopes.append(new_envelope(payload, correlation_id=notification["claim_id"], producer="notifications",
                                          causation_id=str(notification["event_id"])))
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.record_attempts(conn, attempts)
            if envelopes:
                await add_events(conn, envelopes, "notifications")
        # Counted once recorded: an attempt whose record was lost is sent again, and counted then.
        for channel, outcome, status in counted:
            DELIVERY_ATTEMPTS.labels(channel, outcome).inc()
            if status != Status.PENDING:
                NOTIFICATIONS_FINISHED.labels(channel, str(status)).inc()

    async def run(self) -> None:
        """Sends until cancelled: `delivery_workers` loops lease batches side by side (SKIP LOCKED
        keeps them apart, as it does between instances), so one batch is sent while another is
        leased or recorded; `delivery_concurrency` still caps the sends in flight. A loop with
        nothing due sleeps until a NOTIFY (a message queued) wakes it or half a second passes."""
        listener = await self._pool.acquire()
        await listener.add_listener(DUE_CHANNEL, self._on_notify)
        try:
            await asyncio.gather(*(self._work() for _ in range(max(1, self._settings.delivery_workers))))
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(DUE_CHANNEL, self._on_notify)
            await self._pool.release(listener)

    async def _work(self) -> None:
        while True:
            try:
                attempted = await self.dispatch_due()
            except Exception as exc:  # noqa: BLE001 - the dispatcher outlives a database hiccup
                log.warning("dispatcher.failed", error=repr(exc))
                attempted = 0
            if not attempted:
                await self._sleep(0.5)

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

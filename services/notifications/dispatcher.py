"""Sends queued messages through their channels, records every attempt, retries with backoff.

A batch of due messages is leased (so two dispatchers never send the same one at the
same time), sent outside any transaction, and each result recorded in its own
transaction with the NotificationDelivered / NotificationFailed event (outbox). A
dispatcher killed after a provider accepted a message but before recording it leaves
the lease to expire; the retry carries the same idempotency key, which the providers
(and the mail's Message-ID) use to drop the duplicate.
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
from services.notifications.settings import NotificationsSettings
from shared.contracts.notifications import NotificationDelivered, NotificationFailed
from shared.envelope import new_envelope
from shared.logs import get_logger
from shared.outbox import add_event

log = get_logger("notifications.dispatcher")


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, channels: dict[str, Channel], settings: NotificationsSettings):
        self._pool = pool
        self._channels = channels
        self._settings = settings
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(settings.delivery_concurrency)

    async def dispatch_due(self) -> int:
        """Sends one batch of due messages; returns how many it attempted."""
        async with self._pool.acquire() as conn, conn.transaction():
            due = await repo.lease_due(conn, self._settings.delivery_batch_size, self._settings.delivery_lease_seconds)
        await asyncio.gather(*(self._deliver(n) for n in due))
        return len(due)

    async def _deliver(self, notification: dict[str, Any]) -> None:
        channel = self._channels.get(notification["channel"])
        message = RenderedMessage(notification["subject"], notification["body"])
        key = dedup_key(str(notification["event_id"]), notification["heir_id"], notification["channel"])
        async with self._limit:
            if channel is None:
                result = AttemptResult(Outcome.PERMANENT_FAILURE, f"no channel {notification['channel']} configured")
            else:
                try:
                    result = await channel.send(notification["address"], message, key)
                except Exception as exc:  # noqa: BLE001 - an adapter bug is a temporary failure, retried
                    result = AttemptResult(Outcome.TEMPORARY_FAILURE, f"channel error: {exc!r}")
        await self._record(notification, result)

    async def _record(self, notification: dict[str, Any], result: AttemptResult) -> None:
        settings = self._settings
        attempt = notification["attempts"] + 1
        status = after_attempt(attempt, result.outcome, settings.delivery_max_attempts)
        retry_in = (next_retry_delay(attempt, settings.delivery_retry_base_seconds, settings.delivery_retry_cap_seconds)
                    if status == Status.PENDING else None)
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.record_attempt(conn, notification["notification_id"], attempt, str(result.outcome),
                                      result.detail, str(status), retry_in, result.provider_message_id)
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
                return
            await add_event(conn, new_envelope(payload, correlation_id=notification["claim_id"],
                                               producer="notifications", causation_id=str(notification["event_id"])),
                            "notifications")

    async def run(self) -> None:
        listener = await self._pool.acquire()
        await listener.add_listener(DUE_CHANNEL, self._on_notify)
        try:
            while True:
                try:
                    attempted = await self.dispatch_due()
                except Exception as exc:  # noqa: BLE001 - the dispatcher outlives a database hiccup
                    log.warning("dispatcher.failed", error=repr(exc))
                    attempted = 0
                if attempted:
                    continue
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.5)
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(DUE_CHANNEL, self._on_notify)
            await self._pool.release(listener)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

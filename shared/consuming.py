"""One way to consume: inbox for exactly-once effects, bounded retries, dead letters.

A consumer is a named group of handlers (one per event type) on one topic. For each
message: parse the envelope and payload (unreadable → dead letter at once); then, in
one transaction, record (consumer, event_id) in the inbox and apply the handler, so a
redelivered event has no second effect. A handler that keeps failing is retried a
bounded number of times with backoff, then dead-lettered; consumption goes on.
The offset is committed only after the transaction committed (FastStream acks after
the subscriber returns); an infrastructure failure (database or broker down) is not the
message's fault, so it is not dead-lettered: the offset is rewound and the message
comes again.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.contracts import EVENT_TYPES
from shared.envelope import Envelope, EventPayload, UnreadableMessage, read_envelope, read_payload
from shared.inbox import first_deliveries, first_delivery
from shared.kafka import EventProducer, OutgoingRecord
from shared.logs import get_logger
from shared.metrics import DEAD_LETTERS, EVENTS_HANDLED, HANDLER_SECONDS
from shared.topics import Topic, dead_letter_topic
from shared.tracing import handling_record, traceparent_of

log = get_logger("consumer")

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]

# Failures of the ground a handler stands on, not of the message.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)


# The Kafka record whose envelope a handler is applying. Handlers get the envelope and the
# payload; the few that need to know where the event sits (the console's index: topic,
# partition, offset, broker timestamp) read it here instead of every handler taking it.
current_record: ContextVar[ConsumerRecord | None] = ContextVar("current_record", default=None)


class PoisonMessage(Exception):
    """The message can never be applied (retrying cannot help): dead-letter it at once."""


class NotYet(Exception):
    """An event this one depends on (from another topic) has not been applied yet.
    Retried with backoff for up to `Consumer.wait_for_prerequisites_seconds`, then dead-lettered."""


@dataclass
class Consumer:
    name: str  # also the Kafka consumer group
    topic: Topic
    handlers: Mapping[str, Handler]  # event type -> handler; other types on the topic are skipped
    max_attempts: int = 3
    backoff_seconds: float = 0.2
    wait_for_prerequisites_seconds: float = 120.0
    # >1: take up to this many records at a time and apply them in one transaction.
    batch_size: int = 1
    # False for an observer (the console's index): what it cannot read or apply is logged and
    # counted, not dead-lettered — the services that consume the topic dead-letter it already,
    # and a rebuilt observer would otherwise dead-letter all of history's poison again.
    dead_letters: bool = True
    stats: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str, event_type: str) -> None:
        self.stats[outcome] = self.stats.get(outcome, 0) + 1
        EVENTS_HANDLED.labels(self.name, event_type, outcome).inc()


class ConsumerRunner:
    def __init__(self, consumer: Consumer, pool: asyncpg.Pool, producer: EventProducer):
        self.consumer = consumer
        self._pool = pool
        self._producer = producer

    async def _parse(self, record: ConsumerRecord) -> tuple[Envelope, EventPayload, Handler] | str:
        """The envelope, payload and handler of a record, or the outcome when there is nothing
        to apply (skipped: a type this consumer does not handle; dead_lettered: unreadable)."""
        consumer = self.consumer
        try:
            envelope = read_envelope(record.value or b"")
        except UnreadableMessage as exc:
            await self.dead_letter(record, str(exc))
            consumer.count("dead_lettered", "unreadable")
            return "dead_lettered"
        handler = consumer.handlers.get(envelope.type)
        if handler is None:
            consumer.count("skipped", envelope.type)
            return "skipped"
        try:
            payload: EventPayload = read_payload(envelope, EVENT_TYPES[envelope.type])
        except (UnreadableMessage, KeyError) as exc:
            await self.dead_letter(record, str(exc))
            consumer.count("dead_lettered", envelope.type)
            return "dead_lettered"
        return envelope, payload, handler

    async def handle_batch(self, records: Sequence[ConsumerRecord]) -> None:
        """Applies what a poll returned, each partition's records in its own transaction, the
        partitions concurrently. A key's events share a partition, so they stay in order and in
        one transaction; records of different partitions touch different keys and need not wait
        for each other's round trips to the database. Returns (and the offsets are committed)
        only once every partition's transaction has committed; if one fails, the error is
        raised after the others are done, and their redelivery is a duplicate for the inbox."""
        by_partition: dict[tuple[str, int], list[ConsumerRecord]] = {}
        for record in records:
            by_partition.setdefault((record.topic, record.partition), []).append(record)
        if len(by_partition) <= 1:
            await self.apply_batch(records)
            return
        outcomes = await asyncio.gather(*(self.apply_batch(part) for part in by_partition.values()),
                                        return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def apply_batch(self, records: Sequence[ConsumerRecord]) -> None:
        """Applies records in one transaction with their inbox rows written in one statement: one
        commit for many events. If any handler fails, the batch is rolled back and each record
        goes through `handle` on its own, so one bad message is retried and dead-lettered alone."""
        consumer = self.consumer
        parsed = []
        for record in records:
            result = await self._parse(record)
            if not isinstance(result, str):
                parsed.append((record, *result))
        if not parsed:
            return
        started = time.perf_counter()
        applied: list[Envelope] = []
        duplicates: list[Envelope] = []
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                fresh = await first_deliveries(conn, consumer.name, [envelope.event_id for _, envelope, _, _ in parsed],
                                               [traceparent_of(record) for record, *_ in parsed])
                for record, envelope, payload, handler in parsed:
                    if envelope.event_id not in fresh:
                        duplicates.append(envelope)
                        continue
                    fresh.discard(envelope.event_id)  # the same event twice in one batch applies once
                    token = current_record.set(record)
                    try:
                        # Each record continues its own trace, though the batch shares a transaction.
                        with handling_record(consumer.name, record):
                            await handler(conn, envelope, payload)
                            log.debug("message.handled", consumer=consumer.name, event_type=envelope.type)
                    finally:
                        current_record.reset(token)
                    applied.append(envelope)
        except INFRASTRUCTURE_ERRORS:
            await asyncio.sleep(consumer.backoff_seconds)
            raise
        except Exception:  # noqa: BLE001 - isolate the failing message by handling one at a time
            for record, *_ in parsed:
                await self.handle(record)
            return
        HANDLER_SECONDS.labels(consumer.name, consumer.topic.name).observe(time.perf_counter() - started)
        for envelope in applied:
            consumer.count("applied", envelope.type)
        for envelope in duplicates:
            consumer.count("duplicate", envelope.type)
        if applied:
            _fault_point(consumer.name)

    async def handle(self, record: ConsumerRecord) -> str:
        """Returns the outcome: applied, duplicate, skipped or dead_lettered."""
        token = current_record.set(record)
        try:
            with handling_record(self.consumer.name, record):
                return await self._handle(record)
        finally:
            current_record.reset(token)

    async def _handle(self, record: ConsumerRecord) -> str:
        consumer = self.consumer
        result = await self._parse(record)
        if isinstance(result, str):
            return result
        envelope, payload, handler = result

        attempt, waited_since = 0, time.monotonic()
        while attempt < consumer.max_attempts:
            attempt += 1
            started = time.perf_counter()
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    if not await first_delivery(conn, consumer.name, envelope.event_id, traceparent_of(record)):
                        consumer.count("duplicate", envelope.type)
                        return "duplicate"
                    await handler(conn, envelope, payload)
                HANDLER_SECONDS.labels(consumer.name, consumer.topic.name).observe(time.perf_counter() - started)
                consumer.count("applied", envelope.type)
                log.debug("message.applied", consumer=consumer.name, event_type=envelope.type)
                _fault_point(consumer.name)
                return "applied"
            except INFRASTRUCTURE_ERRORS:
                # Not the message's fault: let the subscriber rewind and try again later.
                await asyncio.sleep(consumer.backoff_seconds)
                raise
            except PoisonMessage as exc:
                reason = f"poison: {exc}"
                break
            except NotYet as exc:
                reason = f"prerequisite never arrived: {exc}"
                if time.monotonic() - waited_since > consumer.wait_for_prerequisites_seconds:
                    break
                attempt -= 1  # waiting for another topic is not a failure of this message
                await asyncio.sleep(min(2.0, consumer.backoff_seconds * 5))
            except Exception as exc:  # noqa: BLE001 - any handler bug is bounded by the retry policy
                reason = f"failed after {attempt} attempts: {exc!r}"
                log.warning("handler.failed", consumer=consumer.name, event_type=envelope.type,
                            event_id=str(envelope.event_id), attempt=attempt, error=repr(exc))
                if attempt < consumer.max_attempts:
                    await asyncio.sleep(consumer.backoff_seconds * 2 ** (attempt - 1))
        await self.dead_letter(record, reason)
        consumer.count("dead_lettered", envelope.type)
        return "dead_lettered"

    async def dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        if not self.consumer.dead_letters:
            log.warning("message.passed_over", consumer=self.consumer.name, topic=record.topic,
                        partition=record.partition, offset=record.offset, reason=reason[:300])
            return
        headers = list(record.headers or ())
        headers += [
            ("dlq_reason", reason[:2000].encode()),
            ("dlq_consumer", self.consumer.name.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_at", datetime.now(timezone.utc).isoformat().encode()),
        ]
        key = record.key.decode(errors="replace") if isinstance(record.key, bytes) else str(record.key or "")
        await self._producer.send_all(
            [OutgoingRecord(dead_letter_topic(record.topic), key, record.value or b"", headers)]
        )
        DEAD_LETTERS.labels(self.consumer.name, record.topic).inc()
        log.warning("message.dead_lettered", consumer=self.consumer.name, topic=record.topic,
                    partition=record.partition, offset=record.offset, reason=reason[:300])


def _fault_point(consumer_name: str) -> None:
    """Fault injection for the crash tests: JARING_FAULT_EXIT_AFTER_COMMIT=<consumer> makes the
    process die right after that consumer's transaction committed and before its offset is
    committed, the window in which a redelivery must have no second effect."""
    if os.environ.get("JARING_FAULT_EXIT_AFTER_COMMIT") == consumer_name:
        log.warning("fault.exit_after_commit", consumer=consumer_name)
        os._exit(86)


def subscribe(broker: KafkaBroker, runner: ConsumerRunner) -> None:
    """Registers the runner as a FastStream subscriber in its own consumer group."""
    consumer = runner.consumer

    async def on_message(message: KafkaMessage) -> None:
        await runner.handle(message.raw_message)

    async def on_batch(message: KafkaMessage) -> None:
        await runner.handle_batch(message.raw_message)

    batched = consumer.batch_size > 1
    broker.subscriber(
        consumer.topic.name,
        group_id=consumer.name,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=batched,
        max_records=consumer.batch_size if batched else None,
        max_poll_records=max(100, consumer.batch_size),
        title=consumer.name,
        description=f"{consumer.name} reads {consumer.topic.name}",
    )(on_batch if batched else on_message)

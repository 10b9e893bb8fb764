"""One way to consume: inbox for exactly-once effects, bounded retries, dead letters.

A consumer is a named group of handlers (one per event type) on one topic or more. For each
message: parse the envelope and payload (unreadable → dead letter at once); then, in
one transaction, record (consumer, event_id) in the inbox and apply the handler, so a
redelivered event has no second effect. A handler that keeps failing is retried a
bounded number of times with backoff, then dead-lettered; consumption goes on.
A message whose prerequisite has not arrived (NotYet) is parked in the `waiting` table, and
so is every later message of its key, and the consumer goes on with other keys; parked
messages are applied again, in order per key, when a message of their key is applied and
on a periodic retry, and dead-lettered with the reason after the consumer's waiting time.
A batch's records of a set-based handler (`Batched`) are applied by one call of it, in the
batch's transaction, a few statements for all of them instead of a few each.
The offset is committed only after the transaction committed (shared/offsets.py: at most
once an interval, not after every poll); an infrastructure failure (database or broker down) is not the
message's fault, so it is not dead-lettered: the offset is rewound and the message
comes again.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

import asyncpg
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

from shared.contracts import EVENT_TYPES
from shared.db import DATABASE_AWAY_ERRORS, TRANSIENT_DATABASE_ERRORS
from shared.envelope import Envelope, EventPayload, UnreadableMessage, read_envelope, read_payload
from shared.fetch_pace import FetchPace
from shared.inbox import first_delivery
from shared.kafka import EventProducer, OutgoingRecord
from shared.logs import get_logger
from shared.metrics import DEAD_LETTERS, EVENTS_HANDLED, HANDLER_SECONDS
from shared.offsets import OffsetCommits
from shared.topics import Topic, dead_letter_topic
from shared.tracing import handling_record, handling_records, traceparent_of

log = get_logger("consumer")

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]

# Failures of the ground a handler stands on, not of the message: PostgreSQL away or refusing for
# now. The one list for every caller: a consumer waits and applies the records again, an HTTP request
# is answered 503 with Retry-After, the dispatcher and the disbursement worker wait.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_AWAY_ERRORS, *TRANSIENT_DATABASE_ERRORS)


# The Kafka record whose envelope a handler is applying. Handlers get the envelope and the
# payload; the few that need to know where the event sits (the console's index: topic,
# partition, offset, broker timestamp) read it here instead of every handler taking it.
current_record: ContextVar[ConsumerRecord | None] = ContextVar("current_record", default=None)


class _Delivered(NamedTuple):
    envelope: Envelope
    payload: Any
    traceparent: str | None = None


class Delivery(_Delivered):
    """A fresh record for a set-based handler: its event, its payload, and the `traceparent` of the
    record's own span, for the events written on its behalf (shared.outbox.add_events; None: the
    current span's, as for a record applied alone). Beside the tuple, the Kafka `record` itself, for
    the few that need where the event sits (the console's index; None when a test builds one by
    hand). It is an attribute, not a fourth field: handlers unpack a delivery as its three."""

    record: ConsumerRecord | None

    def __new__(
        cls, envelope: Envelope, payload: Any, traceparent: str | None = None, record: ConsumerRecord | None = None
    ) -> Delivery:
        delivery = super().__new__(cls, envelope, payload, traceparent)
        delivery.record = record
        return delivery

    def _replace(self, **changes: Any) -> Delivery:
        record = changes.pop("record", self.record)
        return Delivery(*super()._replace(**changes), record=record)


class Batched:
    """A set-based handler: it takes a batch's fresh records of its event type together,
    `(conn, [Delivery, ...])`, in the batch's transaction, and applies them in a few statements
    rather than a few per record. Registered in `Consumer.handlers` like any handler. The runner
    hands it records of distinct keys, in order; every other path (a key with parked messages, a
    batch that failed or waited and is retried one record at a time, a parked record drained, a
    consumer of batch size 1) applies one record alone: a list of one, in the record's own span.
    It raises as a handler does (PoisonMessage, NotYet, anything): the whole batch is rolled back
    and each record applied alone, so the one at fault is the only one parked or dead-lettered; a
    NotYet naming its `keys` sends only those keys' records one at a time, the rest of the batch is
    applied together again.
    `keys_apart=False`: a call may hold a key more than once (in order), for a handler whose records
    do not read what an earlier one of their key wrote (the console's index: a row per record)."""

    def __init__(
        self, together: Callable[[asyncpg.Connection, list[Delivery]], Awaitable[None]], *, keys_apart: bool = True
    ):
        self.together = together
        self.keys_apart = keys_apart

    async def __call__(self, conn: asyncpg.Connection, envelope: Envelope, payload: Any) -> None:
        await self.together(conn, [Delivery(envelope, payload, record=current_record.get())])


class PoisonMessage(Exception):
    """The message can never be applied (retrying cannot help): dead-letter it at once."""


class NotYet(Exception):
    """An event this one depends on has not been applied yet. The message is parked (table
    `waiting`) and tried again later; dead-lettered after `Consumer.wait_for_prerequisites_seconds`.
    `waiting_for`: event types of the same key that may bring the prerequisite — such a message
    goes ahead of the parked ones instead of queueing behind them."""

    def __init__(self, message: str, waiting_for: Sequence[str] = (), keys: Collection[str] = ()):
        super().__init__(message)
        self.waiting_for = tuple(waiting_for)
        # The Kafka keys whose records wait, when a set-based handler knows them: only those keys'
        # records of a batch are handled one at a time, the others applied together again. Empty:
        # the whole batch is (a record applied alone is its own key).
        self.keys = frozenset(keys)


@dataclass
class Consumer:
    """`topics`: one group may read several topics (one fetch loop, one transaction a poll, one
    offset commit for all of them, where a group per topic paid each of those per topic while idle or
    not). A key's parked messages hold back its later ones on any of the topics: a claim's events
    are applied in the order they came, whichever topic carries them."""

    name: str  # also the Kafka consumer group
    topics: tuple[Topic, ...]
    handlers: Mapping[str, Handler]  # event type -> handler; other types on the topics are skipped
    max_attempts: int = 3
    backoff_seconds: float = 0.2
    # How long a parked message may wait for its prerequisite before it is dead-lettered.
    wait_for_prerequisites_seconds: float = 3600.0
    # >1: take up to this many records at a time and apply them in one transaction.
    batch_size: int = 1
    # How long the broker may hold a fetch to gather `fetch_min_bytes` (Kafka's fetch.max.wait.ms
    # and fetch.min.bytes): bigger batches, so fewer transactions, commits and offset commits per
    # record, for at most this much added latency per hop. The defaults are Kafka's.
    fetch_max_wait_ms: int = 500
    fetch_min_bytes: int = 1
    # Applied records' offsets go to Kafka at most once this often (shared/offsets.py); 0: after
    # every poll. The service sets it (ServiceSettings.consumer_commit_interval_seconds).
    commit_interval_seconds: float = 0.0
    # True for a consumer nobody waits on: a view or a read model people look at (the console's
    # index, a claim's timeline), not a step a claim or a family's message waits for. The service
    # gives it bigger polls that may wait longer (ServiceSettings.background_consumer_*).
    background: bool = False
    # True for a consumer of topics where records are rare (participants, a family's texts, grievance
    # notices): nothing is gained waiting for a batch there, so the broker answers its fetch at the
    # first record and holds it up to `ServiceSettings.quiet_consumer_fetch_max_wait_ms` otherwise,
    # polling a fifth as often while idle (docs/benchmarks.md, round 18).
    quiet: bool = False
    # A batching consumer (neither background nor quiet) that brought no record for this long fetches
    # as a quiet one, holding an empty fetch `idle_fetch_max_wait_ms`, until records come again
    # (shared/fetch_pace.py). 0: never. The service sets both (ServiceSettings.consumer_idle_*).
    idle_after_seconds: float = 0.0
    idle_fetch_max_wait_ms: int = 500
    # False for an observer (the console's index): what it cannot read or apply is logged and
    # counted, not dead-lettered — the services that consume the topic dead-letter it already,
    # and a rebuilt observer would otherwise dead-letter all of history's poison again.
    dead_letters: bool = True
    # False for a consumer whose handlers are their own inbox: what they write is keyed by the event
    # (the console's index: a row per event id, ON CONFLICT DO NOTHING), so a redelivery writes
    # nothing new and an inbox row per event would only cost a write (and its pruning) for nothing.
    # Its events are never parked: a handler of it must not wait (NotYet is a failure there).
    inbox: bool = True
    # The consumers this one took the place of (merged into one group), each with the topic it read:
    # the group starts where theirs stopped, and their inbox and parked messages are its own
    # (shared/merged_groups.py).
    formerly: Mapping[str, Topic] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.topics:
            raise ValueError(f"consumer {self.name} reads no topic")
        unread = {former: topic.name for former, topic in self.formerly.items() if topic not in self.topics}
        if unread:
            raise ValueError(f"consumer {self.name} took the place of groups on topics it does not read: {unread}")

    @cached_property
    def topic_names(self) -> list[str]:
        return [topic.name for topic in self.topics]

    @cached_property
    def one_kind_of_key(self) -> bool:
        """Its topics are all keyed by the same field (a claim's topics by claim_id): then a key is
        the unit of order, and a batch's records of different keys may be applied in any order."""
        return len({topic.key for topic in self.topics}) == 1

    @cached_property
    def topics_label(self) -> str:
        """The `topic` label of its metrics: the topic, or the topics joined by commas."""
        return ",".join(self.topic_names)

    def count(self, outcome: str, event_type: str) -> None:
        self.stats[outcome] = self.stats.get(outcome, 0) + 1
        EVENTS_HANDLED.labels(self.name, event_type, outcome).inc()


class ConsumerRunner:
    def __init__(self, consumer: Consumer, pool: asyncpg.Pool, producer: EventProducer):
        self.consumer = consumer
        self._pool = pool
        self._producer = producer
        self.offsets = OffsetCommits(consumer.name, consumer.commit_interval_seconds)
        # Set by subscribe(): how its subscriber fetches while idle (None: always as built).
        self.pace: FetchPace | None = None

    async def _parse(self, record: ConsumerRecord) -> tuple[Envelope, EventPayload, Handler] | str:
        """The envelope, payload and handler of a record, or the outcome when there is nothing
        to apply (skipped: a type this consumer does not handle; dead_lettered: unreadable)."""
        consumer = self.consumer
        named = _header_type(record)
        if named in EVENT_TYPES and named not in consumer.handlers:
            # The relay copies the envelope's type into a header: an event of a contract type this
            # consumer does not handle is skipped without parsing it (most of a shared topic's
            # records, for most of its readers). A record without that header, or naming no known
            # type, is parsed, and dead-lettered if unreadable.
            consumer.count("skipped", named)
            return "skipped"
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
        """Applies what a poll returned in one transaction, whatever partitions it spans. A key's
        events share a partition, so they stay in order. One commit per poll, not one per
        partition: on a machine short of CPU the transactions saved (their BEGIN, inbox and parked
        checks, COMMIT and WAL flush) are worth more than the round trips that partitions applied
        side by side would overlap (docs/benchmarks.md, round 6)."""
        await self.apply_batch(in_time_order(records) if len(self.consumer.topics) > 1 else records)

    async def apply_batch(self, records: Sequence[ConsumerRecord]) -> None:
        """Applies records in one transaction with their inbox rows written in one statement: one
        commit for many events. Fresh records of a set-based handler (`Batched`) go to it together in
        runs, a key at most once a call (`_runs`); other records go to their handlers one by one; a
        key's records in their order.
        If any handler fails (or waits), the batch is rolled back and each record goes through
        `handle` on its own, so one bad message is retried and dead-lettered alone and a waiting one
        is parked with its key's later ones. When what holds the batch back is known to be a few keys
        (keys with parked messages, or a wait naming its keys), only their records go one at a time
        and the rest is applied together again: under load, a decision read before its filing (another
        topic) cost the poll's hundreds of records a transaction each."""
        parsed = []
        for record in records:
            result = await self._parse(record)
            if not isinstance(result, str):
                parsed.append((record, *result))
        if parsed:
            await self._apply_parsed(parsed, _SPLITS_A_BATCH)

    async def _apply_parsed(
        self, parsed: list[tuple[ConsumerRecord, Envelope, EventPayload, Handler]], splits_left: int
    ) -> None:
        consumer = self.consumer
        started = time.perf_counter()
        applied: list[Envelope] = []
        duplicates: list[Envelope] = []
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                if consumer.inbox:
                    # The batch's inbox rows and its keys' parked messages in one round trip.
                    row = await conn.fetchrow(
                        _FIRST_DELIVERIES_UNLESS_PARKED,
                        consumer.name,
                        [envelope.event_id for _, envelope, _, _ in parsed],
                        [traceparent_of(record) for record, *_ in parsed],
                        list({_key_of(record) for record, *_ in parsed}),
                    )
                    if row["parked"]:
                        # Order behind parked messages is kept one message at a time.
                        raise _KeysWait(row["parked"])
                    fresh = set(row["fresh"])
                else:
                    fresh = {envelope.event_id for _, envelope, _, _ in parsed}
                to_apply = []
                for record, envelope, payload, handler in parsed:
                    if envelope.event_id not in fresh:
                        duplicates.append(envelope)
                        continue
                    fresh.discard(envelope.event_id)  # the same event twice in one batch applies once
                    to_apply.append((record, envelope, payload, handler))
                for handler, run in _runs(to_apply, regroup=consumer.one_kind_of_key):
                    if len(run) > 1 and isinstance(handler, Batched):
                        await self._apply_together(conn, handler, run)
                    else:
                        await self._apply_one(conn, handler, *run[0])
                    applied += [envelope for _, envelope, _ in run]
        except INFRASTRUCTURE_ERRORS:
            await asyncio.sleep(consumer.backoff_seconds)
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the failing (or waiting) message by handling one at a time
            held = _held_keys(exc) if consumer.inbox and splits_left > 0 else frozenset()
            rest = [p for p in parsed if _key_of(p[0]) not in held]
            alone = parsed
            if held and len(rest) < len(parsed):
                # The other keys do not wait on these: applied together, then these one at a time.
                if rest:
                    await self._apply_parsed(rest, splits_left - 1)
                alone = [p for p in parsed if _key_of(p[0]) in held]
            for record, *_ in alone:
                await self.handle(record)
            return
        HANDLER_SECONDS.labels(consumer.name, consumer.topics_label).observe(time.perf_counter() - started)
        for envelope in applied:
            consumer.count("applied", envelope.type)
        for envelope in duplicates:
            consumer.count("duplicate", envelope.type)
        if applied:
            _fault_point(consumer.name)

    async def _apply_one(
        self,
        conn: asyncpg.Connection,
        handler: Handler,
        record: ConsumerRecord,
        envelope: Envelope,
        payload: EventPayload,
    ) -> None:
        token = current_record.set(record)
        try:
            # Each record continues its own trace, though the batch shares a transaction.
            with handling_record(self.consumer.name, record):
                await handler(conn, envelope, payload)
                log.debug("message.handled", consumer=self.consumer.name, event_type=envelope.type)
        except NotYet as exc:
            # Applied alone, what waits is this record's key.
            exc.keys = exc.keys or frozenset((_key_of(record),))
            raise
        finally:
            current_record.reset(token)

    async def _apply_together(
        self, conn: asyncpg.Connection, handler: Batched, run: list[tuple[ConsumerRecord, Envelope, EventPayload]]
    ) -> None:
        """Records of one type, of distinct keys, in one call of their set-based handler; each record
        in its own span (none current: the spans are handed over as traceparents)."""
        with handling_records(self.consumer.name, [record for record, _, _ in run]) as traceparents:
            await handler.together(
                conn,
                [
                    Delivery(envelope, payload, traceparent, record)
                    for (record, envelope, payload), traceparent in zip(run, traceparents, strict=True)
                ],
            )
        log.debug("messages.handled", consumer=self.consumer.name, event_type=run[0][1].type, count=len(run))

    async def handle(self, record: ConsumerRecord) -> str:
        """Returns the outcome: applied, duplicate, skipped, parked or dead_lettered."""
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
        outcome = await self._apply(record, envelope, payload, handler)
        if outcome == "behind":
            # An earlier message of this key waits: this one waits behind it, so the key's order holds.
            await self._park(record, envelope, "behind an earlier message of the same key that waits", (), False)
            consumer.count("parked", envelope.type)
            return "parked"
        if isinstance(outcome, NotYet):
            await self._park(record, envelope, f"prerequisite not applied yet: {outcome}", outcome.waiting_for, True)
            consumer.count("parked", envelope.type)
            return "parked"
        if outcome == "applied_ahead":
            await self.drain(_key_of(record))  # it may have been what the parked ones wait for
            return "applied"
        return outcome

    async def _apply(
        self,
        record: ConsumerRecord,
        envelope: Envelope,
        payload: EventPayload,
        handler: Handler,
        parked_id: int | None = None,
    ) -> str | NotYet:
        """Inbox and handler in one transaction (and the parked row removed in it, when there is
        one), retried within the policy. Returns applied, duplicate or dead_lettered, the NotYet
        the handler raised; for a fresh message (not a parked one), "behind" when an earlier message
        of its key is parked, or "applied_ahead" when it was applied ahead of parked ones that
        wait for its type."""
        consumer = self.consumer
        attempt = 0
        while attempt < consumer.max_attempts:
            attempt += 1
            started = time.perf_counter()
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    ahead = False
                    if parked_id is not None:
                        await conn.execute("DELETE FROM waiting WHERE id = $1", parked_id)
                        fresh = not consumer.inbox or await first_delivery(
                            conn, consumer.name, envelope.event_id, traceparent_of(record)
                        )
                    elif not consumer.inbox:
                        fresh = True
                    else:
                        # The inbox row and the key's parked messages in one round trip: the hot path.
                        row = await conn.fetchrow(
                            _FIRST_DELIVERY_UNLESS_PARKED,
                            consumer.name,
                            envelope.event_id,
                            _key_of(record),
                            envelope.type,
                            traceparent_of(record),
                        )
                        if row["parked"] and not row["awaited"]:
                            return "behind"
                        fresh, ahead = row["fresh"], row["parked"]
                    if not fresh:
                        consumer.count("duplicate", envelope.type)
                        return "duplicate"
                    await handler(conn, envelope, payload)
                HANDLER_SECONDS.labels(consumer.name, consumer.topics_label).observe(time.perf_counter() - started)
                consumer.count("applied", envelope.type)
                log.debug("message.applied", consumer=consumer.name, event_type=envelope.type)
                _fault_point(consumer.name)
                return "applied_ahead" if ahead else "applied"
            except INFRASTRUCTURE_ERRORS:
                # Not the message's fault: let the subscriber rewind and try again later.
                await asyncio.sleep(consumer.backoff_seconds)
                raise
            except PoisonMessage as exc:
                reason = f"poison: {exc}"
                break
            except NotYet as exc:
                if consumer.inbox:
                    return exc
                reason = f"waited, and a consumer without an inbox never parks: {exc}"
                break
            except Exception as exc:  # noqa: BLE001 - any handler bug is bounded by the retry policy
                reason = f"failed after {attempt} attempts: {exc!r}"
                log.warning(
                    "handler.failed",
                    consumer=consumer.name,
                    event_type=envelope.type,
                    event_id=str(envelope.event_id),
                    attempt=attempt,
                    error=repr(exc),
                )
                if attempt < consumer.max_attempts:
                    await asyncio.sleep(consumer.backoff_seconds * 2 ** (attempt - 1))
        await self.dead_letter(record, reason)
        consumer.count("dead_lettered", envelope.type)
        return "dead_lettered"

    async def _park(
        self, record: ConsumerRecord, envelope: Envelope, reason: str, waiting_for: Sequence[str], itself_waiting: bool
    ) -> None:
        # A redelivered record (parked, then the process died before its offset was committed)
        # is already there: ON CONFLICT keeps the one row.
        await self._pool.execute(
            'INSERT INTO waiting (consumer, key, topic, "partition", "offset", timestamp_ms, headers, value, '
            "event_type, reason, waiting_for, waiting_since) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11, "
            'CASE WHEN $12 THEN now() END) ON CONFLICT (consumer, topic, "partition", "offset") DO NOTHING',
            self.consumer.name,
            _key_of(record),
            record.topic,
            record.partition,
            record.offset,
            record.timestamp or 0,
            [[k, (v or b"").decode("latin-1")] for k, v in (record.headers or ())],
            record.value or b"",
            envelope.type,
            reason[:2000],
            list(waiting_for),
            itself_waiting,
        )
        log.info(
            "message.parked",
            consumer=self.consumer.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            event_type=envelope.type,
            reason=reason[:300],
        )

    async def drain(self, key: str) -> int:
        """Applies the key's parked messages in order until one still waits; returns how many left
        the table. One still waiting past the consumer's waiting time is dead-lettered."""
        consumer, moved = self.consumer, 0
        while True:
            row = await self._pool.fetchrow(
                "SELECT *, extract(epoch FROM now() - coalesce(waiting_since, now())) AS waited FROM waiting "
                "WHERE consumer = $1 AND key = $2 ORDER BY id LIMIT 1",
                consumer.name,
                key,
            )
            if row is None:
                return moved
            record = _record_of(row)
            token = current_record.set(record)
            try:
                # The parked row kept the record's headers: applied later, it still joins its trace.
                with handling_record(consumer.name, record):
                    result = await self._parse(record)
                    outcome = (
                        "gone" if isinstance(result, str) else await self._apply(record, *result, parked_id=row["id"])
                    )
                    if isinstance(outcome, NotYet):
                        if row["waited"] <= consumer.wait_for_prerequisites_seconds:
                            await self._pool.execute(
                                "UPDATE waiting SET reason = $2, waiting_for = $3, waiting_since = "
                                "coalesce(waiting_since, now()) WHERE id = $1",
                                row["id"],
                                f"prerequisite not applied yet: {outcome}"[:2000],
                                list(outcome.waiting_for),
                            )
                            return moved
                        await self.dead_letter(record, f"prerequisite never arrived: {outcome}")
                        consumer.count("dead_lettered", row["event_type"])
                        outcome = "dead_lettered"
            finally:
                current_record.reset(token)
            if outcome in ("gone", "dead_lettered"):
                await self._pool.execute("DELETE FROM waiting WHERE id = $1", row["id"])
            moved += 1

    async def retry_parked(self, every_seconds: float) -> None:
        """Until cancelled: every few seconds, each key with parked messages is drained — the
        prerequisite of a message may come with another key (a claim waits for its participant)."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                keys = [
                    r["key"]
                    for r in await self._pool.fetch(
                        "SELECT DISTINCT key FROM waiting WHERE consumer = $1", self.consumer.name
                    )
                ]
                for key in keys:
                    await self.drain(key)
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                log.warning("parked.retry_failed", consumer=self.consumer.name, error=repr(exc))

    async def dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        if not self.consumer.dead_letters:
            log.warning(
                "message.passed_over",
                consumer=self.consumer.name,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                reason=reason[:300],
            )
            return
        headers = list(record.headers or ())
        headers += [
            ("dlq_reason", reason[:2000].encode()),
            ("dlq_consumer", self.consumer.name.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._producer.send_all(
            [OutgoingRecord(dead_letter_topic(record.topic), _key_of(record), record.value or b"", headers)]
        )
        DEAD_LETTERS.labels(self.consumer.name, record.topic).inc()
        log.warning(
            "message.dead_lettered",
            consumer=self.consumer.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason[:300],
        )


# Records the event in the inbox (with the traceparent it came with, $5) unless its key has parked
# messages that do not wait for its type.
# A batch's inbox rows, none written when a key of the batch has parked messages (the batch then
# goes one message at a time, behind them).
_FIRST_DELIVERIES_UNLESS_PARKED = """
WITH held AS (
    SELECT array(SELECT DISTINCT key FROM waiting WHERE consumer = $1 AND key = ANY($4::text[])) AS parked
), recorded AS (
    INSERT INTO inbox (consumer, event_id, traceparent)
    SELECT $1, e, t FROM unnest($2::uuid[], $3::text[]) AS u(e, t), held WHERE cardinality(held.parked) = 0
    ON CONFLICT DO NOTHING RETURNING event_id
)
SELECT parked, coalesce((SELECT array_agg(event_id) FROM recorded), '{}') AS fresh FROM held
"""

_FIRST_DELIVERY_UNLESS_PARKED = """
WITH held AS (
    SELECT count(*) > 0 AS parked, coalesce(bool_or($4 = ANY(waiting_for)), false) AS awaited
    FROM waiting WHERE consumer = $1 AND key = $3
), recorded AS (
    INSERT INTO inbox (consumer, event_id, traceparent) SELECT $1, $2, $5 FROM held WHERE NOT parked OR awaited
    ON CONFLICT DO NOTHING RETURNING 1
)
SELECT parked, awaited, EXISTS (SELECT 1 FROM recorded) AS fresh FROM held
"""


def _runs(
    records: Sequence[tuple[ConsumerRecord, Envelope, EventPayload, Handler]], *, regroup: bool = False
) -> list[tuple[Handler, list[tuple[ConsumerRecord, Envelope, EventPayload]]]]:
    """The batch's fresh records cut into runs, applied in the runs' order: records of one set-based
    handler with no key twice (a key's later event sees what its earlier one did) unless the handler
    keeps no keys apart, and every other record alone. A key's records keep their order.

    Without `regroup`, a run is consecutive records, so the order across keys is kept too. With it
    (a consumer whose topics share one kind of key: nothing orders two claims' events but Kafka's
    partitions), a record joins its handler's latest run when its key's earlier records are all in
    runs before that one (or in it, for a handler that keeps no keys apart): a poll of several
    topics interleaves event types, and cut at each change of type its runs were a few records each,
    every run its handler's statements (docs/benchmarks.md, round 21)."""
    runs: list[tuple[Handler, list[tuple[ConsumerRecord, Envelope, EventPayload]]]] = []
    keys_of_run: list[set[str]] = []
    last_run_of_key: dict[str, int] = {}  # the run holding the key's latest record so far
    latest_run_of: dict[Batched, int] = {}  # each set-based handler's latest run
    for record, envelope, payload, handler in records:
        key = _key_of(record)
        batched = handler if isinstance(handler, Batched) else None
        latest = latest_run_of.get(batched) if batched is not None else None
        if latest is not None and not regroup and latest != len(runs) - 1:
            latest = None  # a run of consecutive records only
        if (
            batched is not None
            and latest is not None
            and latest >= last_run_of_key.get(key, -1)
            and (key not in keys_of_run[latest] or not batched.keys_apart)
        ):
            at = latest
        else:
            at = len(runs)
            runs.append((handler, []))
            keys_of_run.append(set())
            if batched is not None:
                latest_run_of[batched] = at
        runs[at][1].append((record, envelope, payload))
        keys_of_run[at].add(key)
        last_run_of_key[key] = at
    return runs


class _KeysWait(Exception):
    """A batch holds keys with parked messages: their records are applied one message at a time."""

    def __init__(self, keys: Collection[str]):
        super().__init__(f"keys with parked messages: {len(keys)}")
        self.keys = frozenset(keys)


# How many times a batch may be split around the keys that hold it back before every record of it
# goes one at a time: each split rolls back what the batch had done.
_SPLITS_A_BATCH = 3


def _held_keys(exc: Exception) -> frozenset[str]:
    """The keys a batch's failure says wait (none: anything else, the whole batch one at a time)."""
    return exc.keys if isinstance(exc, (_KeysWait, NotYet)) else frozenset()


def _key_of(record: ConsumerRecord) -> str:
    return record.key.decode(errors="replace") if isinstance(record.key, bytes) else str(record.key or "")


def _header_type(record: ConsumerRecord) -> str | None:
    for name, value in record.headers or ():
        if name == "event_type":
            return (value or b"").decode(errors="replace")
    return None


def _record_of(row: Mapping[str, Any]) -> ConsumerRecord:
    """A parked message as the record it came as (what handlers and dead letters read)."""
    value, key = bytes(row["value"]), row["key"].encode()
    return ConsumerRecord(
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
        timestamp=row["timestamp_ms"],
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=tuple((k, v.encode("latin-1")) for k, v in row["headers"]),
    )


def _fault_point(consumer_name: str) -> None:
    """Fault injection for the crash tests: JARING_FAULT_EXIT_AFTER_COMMIT=<consumer> makes the
    process die right after that consumer's transaction committed and before its offset is
    committed, the window in which a redelivery must have no second effect."""
    if os.environ.get("JARING_FAULT_EXIT_AFTER_COMMIT") == consumer_name:
        log.warning("fault.exit_after_commit", consumer=consumer_name)
        os._exit(86)


def in_time_order(records: Sequence[ConsumerRecord]) -> Sequence[ConsumerRecord]:
    """A poll of several topics, with each key's records in the order they were produced.

    A poll gives the records partition by partition, so a claim's decision (on the decisions topic)
    could come before its filing (on the filed topic) in one batch: the decision waited (NotYet), the
    batch fell back to a transaction a record, and the claim's later events parked behind it. An
    event is produced after what caused it: by their timestamps, the filing comes first. Only the
    order within a key changes: the poll's order is kept otherwise (each key's first records, then
    each key's second, …), so the runs of a set-based handler stay as long as the poll made them.
    Producers' clocks may disagree; NotYet and parking still keep a key's order then, this spares
    them the common case."""
    by_partition: dict[tuple[str, int], list[int]] = {}
    for at, record in enumerate(records):
        by_partition.setdefault((record.topic, record.partition), []).append(at)
    if len({topic for topic, _ in by_partition}) < 2:
        return records
    # Every record in time order, each partition's in its own (offset) order; then each record's rank
    # among its key's.
    merged = heapq.merge(*by_partition.values(), key=lambda at: records[at].timestamp)
    seen: dict[str, int] = {}
    rank = [0] * len(records)
    for at in merged:
        key = _key_of(records[at])
        rank[at] = seen.get(key, 0)
        seen[key] = rank[at] + 1
    return [records[at] for at in sorted(range(len(records)), key=rank.__getitem__)]


def subscribe(broker: KafkaBroker, runner: ConsumerRunner) -> None:
    """Registers the runner as a FastStream subscriber in its own consumer group, on its topics.
    FastStream acknowledges nothing itself (AckPolicy.MANUAL): once a poll's transaction committed,
    its offsets go to the runner's OffsetCommits, which commits them at most once an interval; if
    applying fails (the database away), the poll's partitions are rewound to its first records
    (FastStream's nack) and the records come again."""
    consumer = runner.consumer

    async def settle(applying: Awaitable[Any], records: Sequence[ConsumerRecord]) -> None:
        message = broker.context.get_local("message")
        if runner.pace is not None:
            runner.pace.records_came(message.consumer)
        try:
            await applying
        except Exception:
            await message.nack()
            raise
        finally:
            if runner.pace is not None:
                runner.pace.records_settled()
        await runner.offsets.applied(message.consumer, records)

    # What raw_records gives: one ConsumerRecord, or a poll's tuple of them. Typed Any so that a
    # broker with FastDepends on (a test's) passes them through as they are.
    async def on_message(record: Any) -> None:
        await settle(runner.handle(record), (record,))

    async def on_batch(records: Any) -> None:
        await settle(runner.handle_batch(records), records)

    batched = consumer.batch_size > 1
    subscriber = broker.subscriber(
        *consumer.topic_names,
        group_id=consumer.name,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        listener=runner.offsets,
        batch=batched,
        max_records=consumer.batch_size if batched else None,
        max_poll_records=max(100, consumer.batch_size),
        fetch_max_wait_ms=consumer.fetch_max_wait_ms,
        fetch_min_bytes=consumer.fetch_min_bytes,
        decoder=raw_records,
        title=consumer.name,
        description=f"{consumer.name} reads {', '.join(consumer.topic_names)}",
    )
    subscriber(on_batch if batched else on_message)
    if batched and consumer.idle_after_seconds > 0 and consumer.fetch_min_bytes > 1:
        runner.pace = FetchPace(
            consumer.name,
            subscriber,
            busy_max_wait_ms=consumer.fetch_max_wait_ms,
            busy_min_bytes=consumer.fetch_min_bytes,
            idle_max_wait_ms=consumer.idle_fetch_max_wait_ms,
            idle_after_seconds=consumer.idle_after_seconds,
        )


async def raw_records(message: StreamMessage[Any]) -> Any:
    """FastStream's decoder for Jaring's subscribers: the poll's records as aiokafka gave them.
    The runner reads each envelope itself, and only of the types it handles (by header); FastStream's
    own decoder would JSON-decode every record of the batch first, read or not."""
    return message.raw_message

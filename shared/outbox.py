"""Transactional outbox: a state change and the events it causes commit together.

`add_event` is called inside the service's transaction. The relay publishes committed
rows with the idempotent producer and deletes them only after Kafka acknowledged them,
so a relay killed mid-batch publishes that batch again on restart (at-least-once on
the wire); consumers' inboxes turn that into exactly-once effects.

An event Kafka refuses for good (too large, invalid topic), or one that keeps failing while
the events around it go through, is moved to `outbox_quarantine` with its reason in the
transaction that removes it from the outbox: the events after it flow, /health reports the
service degraded, operators list it at GET /v1/outbox/quarantine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence

import asyncpg
from aiokafka.errors import InvalidTopicError, MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

from shared.db import keep_listening
from shared.envelope import Envelope
from shared.kafka import EventProducer, OutgoingRecord
from shared.logs import get_logger
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_QUARANTINED
from shared.privacy import mask_niks_in
from shared.topics import Topic, topic_for_event
from shared.tracing import TRACEPARENT, inject_into, note_event

log = get_logger("outbox")


def notify_channel(schema: str) -> str:
    return f"outbox_{schema}"


def queued_values(envelope: Envelope, schema: str, topic: Topic | None = None) -> list[object]:
    """The outbox row of an event and its NOTIFY channel, as parameters for `add_event`'s statement
    or for `queued_with`'s CTE (whose caller calls `note_event` once the event is written). The topic
    comes from the catalogue unless given (tests use their own topics). The current trace goes with
    the row: the relay sends it as the record's `traceparent`."""
    topic = topic or topic_for_event(envelope.type)
    headers = inject_into({k: v.decode() for k, v in envelope.kafka_headers()})
    return [*_outbox_row(envelope, topic, headers), notify_channel(schema)]


def _outbox_row(envelope: Envelope, topic: Topic, headers: Mapping[str, str]) -> tuple[object, ...]:
    """An event's outbox columns: event_id, topic, key, event_type, headers, body."""
    return (
        envelope.event_id,
        topic.name,
        str(envelope.payload[topic.key]),
        envelope.type,
        headers,
        envelope.to_bytes(),
    )


def queued_with(source: str, first: int) -> str:
    """A CTE that queues an event (parameters `queued_values`, numbered from `$first`) once for each
    row of the CTE `source`, so a state change written by one statement queues its event in the same
    round trip, and nothing when it wrote nothing. The NOTIFY that wakes the relay is the INSERT's
    RETURNING: a data-modifying CTE runs to completion whether or not the statement reads it."""
    p = [f"${first + i}" for i in range(7)]
    return (
        f"queued AS (INSERT INTO outbox (event_id, topic, key, event_type, headers, body) "
        f"SELECT {p[0]}::uuid, {p[1]}::text, {p[2]}::text, {p[3]}::text, {p[4]}::jsonb, {p[5]}::bytea FROM {source} "
        f"RETURNING pg_notify({p[6]}::text, ''))"
    )


async def add_event(conn: asyncpg.Connection, envelope: Envelope, schema: str, topic: Topic | None = None) -> None:
    """Queues the event for publication; call it inside the transaction of the state change.
    The topic comes from the catalogue unless given (tests use their own topics)."""
    values = queued_values(envelope, schema, topic)
    note_event(envelope)
    # The NOTIFY is delivered at commit, never for a rolled-back transaction, and wakes the
    # relay at once. Sent by the same statement as the INSERT: one round trip per event.
    await conn.execute(
        "WITH queued AS (INSERT INTO outbox (event_id, topic, key, event_type, headers, body) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1) SELECT pg_notify($7, '') FROM queued",
        *values,
    )


async def add_events(
    conn: asyncpg.Connection, envelopes: list[Envelope], schema: str, traceparents: Sequence[str | None] | None = None
) -> None:
    """Many events in one statement (bulk import); same contract as add_event. Rows get
    their ids (the relay's publishing order) in the order of `envelopes`. Each event carries the
    current trace, or its own `traceparents[i]` when the events of one batch belong to
    different traces (the dispatcher's messages, each in its claim's trace)."""
    if not envelopes:
        return
    rows = []
    for i, envelope in enumerate(envelopes):
        topic = topic_for_event(envelope.type)
        headers = {k: v.decode() for k, v in envelope.kafka_headers()}
        own = traceparents[i] if traceparents is not None else None
        if own:
            headers[TRACEPARENT] = own
        else:
            inject_into(headers)
        rows.append(_outbox_row(envelope, topic, headers))
    # Arrays unnested: one execution for the whole batch, where executemany made PostgreSQL
    # run an INSERT per event; the NOTIFY in the same statement, as add_event's.
    await conn.execute(
        "WITH queued AS (INSERT INTO outbox (event_id, topic, key, event_type, headers, body) "
        "SELECT e, t, k, y, h, b FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], "
        "$6::bytea[]) WITH ORDINALITY AS u(e, t, k, y, h, b, n) ORDER BY n RETURNING 1) "
        "SELECT pg_notify($7, '') WHERE EXISTS (SELECT FROM queued)",
        *map(list, zip(*rows)),
        notify_channel(schema),
    )


# Errors no retry can cure: the record itself is what Kafka refuses.
REFUSED_FOR_GOOD: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError,  # the broker's MESSAGE_TOO_LARGE, and the producer's own size check
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
)


class PublishFailed(Exception):
    """Some events of a batch could not be published and stay in the outbox for the next try."""


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: EventProducer,
        schema: str,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        max_attempts: int = 5,
        gather_seconds: float = 0.0,
    ):
        self._pool = pool
        self._producer = producer
        self._schema = schema
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        # Failed tries, counted only while other events of the same batch went through (so a
        # broker outage counts nothing), after which an event is quarantined.
        self._max_attempts = max_attempts
        # Woken by a commit, the relay waits this long before publishing, so the events of the
        # commits meanwhile go in the same round (one transaction, one produce request) instead
        # of one round each: fewer transactions per event, at the price of this much latency.
        self._gather_seconds = gather_seconds
        self._wake = asyncio.Event()
        self.running = False

    async def publish_pending(self) -> int:
        """Publishes one batch; returns how many rows it published. Raises PublishFailed, after
        committing what went through and what was quarantined, when some rows are left to retry."""
        async with self._pool.acquire() as conn, conn.transaction():
            # Planned for the outbox as it is now: it is a queue, emptied as it is published, and a plan
            # cached while it was nearly empty (a sequential scan; PostgreSQL settles on one after five
            # rounds) read every page of the deleted rows not yet vacuumed, at every round, after a burst.
            await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            # One relay at a time per service publishes, so events of one key keep their
            # order even when several instances run; SKIP LOCKED keeps others from waiting
            # on rows a live relay holds. The lock is tried by the statement that reads the rows,
            # once (an uncorrelated subquery: PostgreSQL's one-time filter; refused, the outbox is not
            # even scanned), so a round costs one round trip less.
            rows = await conn.fetch(
                "SELECT id, topic, key, headers, body, attempts FROM outbox "
                "WHERE (SELECT pg_try_advisory_xact_lock(hashtext($2))) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch_size,
                f"relay:{self._schema}",
            )
            if not rows:
                return 0
            records = [
                OutgoingRecord(
                    r["topic"], r["key"], bytes(r["body"]), [(k, v.encode()) for k, v in r["headers"].items()]
                )
                for r in rows
            ]
            outcomes = await self._producer.send_each(records)
            sent = [r["id"] for r, error in zip(rows, outcomes) if error is None]
            refused: list[tuple[int, int, str]] = []  # (id, attempts, reason)
            retry: list[tuple[int, str]] = []  # (id, error)
            for row, error in zip(rows, outcomes):
                if error is None:
                    continue
                attempts = row["attempts"] + (1 if sent else 0)
                reason = _describe(error)
                if isinstance(error, REFUSED_FOR_GOOD):
                    refused.append((row["id"], row["attempts"] + 1, f"refused by Kafka: {reason}"))
                elif attempts >= self._max_attempts:
                    refused.append(
                        (row["id"], attempts, f"failed {attempts} times while other events went through: {reason}")
                    )
                else:
                    retry.append((row["id"], reason))
            if sent:
                await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", sent)
            if refused:
                await quarantine(conn, refused)
            if retry:
                await conn.executemany(
                    "UPDATE outbox SET attempts = attempts + $3, last_error = $2 WHERE id = $1",
                    [(row_id, reason, 1 if sent else 0) for row_id, reason in retry],
                )
        for record, error in zip(records, outcomes):
            if error is None:
                EVENTS_PUBLISHED.labels(record.topic).inc()
        if refused:
            for row_id, _attempts, reason in refused:
                log.error("outbox.quarantined", schema=self._schema, outbox_id=row_id, reason=reason[:300])
            await self.count_quarantined()
        if retry:
            raise PublishFailed(f"{len(retry)} events left for the next try; first: {retry[0][1]}")
        return len(sent)

    async def count_quarantined(self) -> int:
        """How many events wait in quarantine; also what the jaring_outbox_quarantined gauge shows."""
        count: int = await self._pool.fetchval("SELECT count(*) FROM outbox_quarantine")
        OUTBOX_QUARANTINED.labels(self._schema).set(count)
        return count

    async def run(self) -> None:
        """Publishes until cancelled: woken by NOTIFY (listening again after PostgreSQL restarts),
        polling as a fallback."""
        listening = asyncio.create_task(keep_listening(self._pool, notify_channel(self._schema), self._on_notify))
        self.running = True
        with contextlib.suppress(Exception):  # the gauge is right from the start, not from the first event
            await self.count_quarantined()
        try:
            while True:
                # Cleared before the round, not after it: a NOTIFY that comes while the round runs
                # (its event committed after the round's SELECT) wakes the next round at once.
                self._wake.clear()
                try:
                    published = await self.publish_pending()
                except Exception as exc:  # noqa: BLE001 - the relay outlives a broker or database hiccup
                    log.warning("outbox.publish_failed", error=repr(exc))
                    published = 0
                    await asyncio.sleep(self._poll_seconds)
                if published >= self._batch_size:
                    continue  # more waiting: no need to sleep
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
                    if self._gather_seconds > 0:
                        await asyncio.sleep(self._gather_seconds)
        finally:
            self.running = False
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()


async def quarantine(conn: asyncpg.Connection, refused: list[tuple[int, int, str]]) -> None:
    """Moves outbox rows (id, attempts, reason) to the quarantine, in the caller's transaction."""
    await conn.execute(
        "WITH moved AS (DELETE FROM outbox WHERE id = ANY($1::bigint[]) "
        "RETURNING id, event_id, topic, key, event_type, headers, body, created_at) "
        "INSERT INTO outbox_quarantine (id, event_id, topic, key, event_type, headers, body, created_at, attempts, "
        "reason) SELECT m.id, m.event_id, m.topic, m.key, m.event_type, m.headers, m.body, m.created_at, r.attempts, "
        "r.reason FROM moved m JOIN unnest($1::bigint[], $2::int[], $3::text[]) AS r(id, attempts, reason) "
        "ON r.id = m.id",
        [r[0] for r in refused],
        [r[1] for r in refused],
        [r[2] for r in refused],
    )


async def quarantined(conn: asyncpg.Connection, limit: int = 100) -> list[dict[str, object]]:
    """The quarantined events, oldest first, without their bodies (an operator reads the reason)."""
    rows = await conn.fetch(
        "SELECT id, event_id, topic, key, event_type, octet_length(body) AS size_bytes, attempts, reason, "
        "created_at, quarantined_at FROM outbox_quarantine ORDER BY id LIMIT $1",
        limit,
    )
    return [dict(r) for r in rows]


def _describe(error: BaseException) -> str:
    return mask_niks_in(f"{type(error).__name__}: {error}")[:2000]

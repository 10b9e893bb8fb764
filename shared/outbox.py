"""Transactional outbox: a state change and the events it causes commit together.

`add_event` is called inside the service's transaction. The relay publishes committed
rows with the idempotent producer and deletes them only after Kafka acknowledged them,
so a relay killed mid-batch publishes that batch again on restart (at-least-once on
the wire); consumers' inboxes turn that into exactly-once effects.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from shared.envelope import Envelope
from shared.kafka import EventProducer, OutgoingRecord
from shared.logs import get_logger
from shared.metrics import EVENTS_PUBLISHED
from shared.topics import Topic, topic_for_event

log = get_logger("outbox")


def notify_channel(schema: str) -> str:
    return f"outbox_{schema}"


async def add_event(conn: asyncpg.Connection, envelope: Envelope, schema: str, topic: Topic | None = None) -> None:
    """Queues the event for publication; call it inside the transaction of the state change.
    The topic comes from the catalogue unless given (tests use their own topics)."""
    topic = topic or topic_for_event(envelope.type)
    key = str(envelope.payload[topic.key])
    # The NOTIFY is delivered at commit, never for a rolled-back transaction, and wakes the
    # relay at once. Sent by the same statement as the INSERT: one round trip per event.
    await conn.execute(
        "WITH queued AS (INSERT INTO outbox (event_id, topic, key, event_type, headers, body) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1) SELECT pg_notify($7, '') FROM queued",
        envelope.event_id, topic.name, key, envelope.type,
        {k: v.decode() for k, v in envelope.kafka_headers()}, envelope.to_bytes(), notify_channel(schema),
    )


async def add_events(conn: asyncpg.Connection, envelopes: list[Envelope], schema: str) -> None:
    """Many events in one statement (bulk import); same contract as add_event. Rows get
    their ids (the relay's publishing order) in the order of `envelopes`."""
    if not envelopes:
        return
    rows = []
    for envelope in envelopes:
        topic = topic_for_event(envelope.type)
        rows.append((envelope.event_id, topic.name, str(envelope.payload[topic.key]), envelope.type,
                     {k: v.decode() for k, v in envelope.kafka_headers()}, envelope.to_bytes()))
    # Arrays unnested: one execution for the whole batch, where executemany made PostgreSQL
    # run an INSERT per event.
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, event_type, headers, body) "
        "SELECT e, t, k, y, h, b FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], "
        "$6::bytea[]) WITH ORDINALITY AS u(e, t, k, y, h, b, n) ORDER BY n",
        *map(list, zip(*rows)),
    )
    await conn.execute("SELECT pg_notify($1, '')", notify_channel(schema))


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: EventProducer,
        schema: str,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
    ):
        self._pool = pool
        self._producer = producer
        self._schema = schema
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self.running = False

    async def publish_pending(self) -> int:
        """Publishes one batch; returns how many rows it published."""
        async with self._pool.acquire() as conn, conn.transaction():
            # One relay at a time per service publishes, so events of one key keep their
            # order even when several instances run; SKIP LOCKED keeps others from waiting
            # on rows a live relay holds.
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", f"relay:{self._schema}"):
                return 0
            rows = await conn.fetch(
                "SELECT id, topic, key, headers, body FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch_size,
            )
            if not rows:
                return 0
            records = [
                OutgoingRecord(r["topic"], r["key"], bytes(r["body"]), [(k, v.encode()) for k, v in r["headers"].items()])
                for r in rows
            ]
            await self._producer.send_all(records)
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        for record in records:
            EVENTS_PUBLISHED.labels(record.topic).inc()
        return len(rows)

    async def run(self) -> None:
        """Publishes until cancelled: woken by NOTIFY, polling as a fallback."""
        listener = await self._pool.acquire()
        channel = notify_channel(self._schema)
        await listener.add_listener(channel, self._on_notify)
        self.running = True
        try:
            while True:
                try:
                    published = await self.publish_pending()
                except Exception as exc:  # noqa: BLE001 - the relay outlives a broker or database hiccup
                    log.warning("outbox.publish_failed", error=repr(exc))
                    published = 0
                    await asyncio.sleep(self._poll_seconds)
                if published >= self._batch_size:
                    continue  # more waiting: no need to sleep
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
        finally:
            self.running = False
            with contextlib.suppress(Exception):
                await listener.remove_listener(channel, self._on_notify)
            await self._pool.release(listener)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()


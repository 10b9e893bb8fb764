"""What the parts allow at all, measured on the bench stack's own Kafka and PostgreSQL, so an
end-to-end figure reads as a fraction of it.

- PostgreSQL: single-row INSERT transactions per second (pgbench from the embedded binaries,
  fsync on), at 1 client and at the services' client count.
- Kafka: produce → consume round trip of one record, with the services' producer settings
  (acks=all, idempotence, linger 5 ms); and throughput of records the size of an event.
- FastStream: how many records per second a subscriber whose handler does nothing takes in,
  one record at a time and in batches of 100 (the services' setting).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from bench.load import percentile
from deploy.local.postgres import PostgresNode
from shared.kafka import EventProducer, OutgoingRecord

EVENT_BYTES = 700  # about the size of a ClaimFiled envelope


def pgbench_commits(node: PostgresNode, clients: int, seconds: int = 10) -> float:
    """Single-row INSERT transactions per second (each one a commit, fsync on)."""
    with tempfile.TemporaryDirectory(prefix="jaring-pgbench-") as tmp:
        script = Path(tmp) / "insert.sql"
        script.write_text("INSERT INTO bench_commit (v) VALUES ('x');\n")
        base = ["-h", node.host, "-p", str(node.port), "-U", "postgres"]
        subprocess.run(
            [
                str(node.bin("psql")),
                *base,
                "-d",
                "jaring",
                "-q",
                "-c",
                "CREATE TABLE IF NOT EXISTS public.bench_commit (id bigserial PRIMARY KEY, v text)",
            ],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [
                str(node.bin("pgbench")),
                *base,
                "-n",
                "-f",
                str(script),
                "-c",
                str(clients),
                "-j",
                str(min(clients, 2)),
                "-T",
                str(seconds),
                "jaring",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        subprocess.run(
            [str(node.bin("psql")), *base, "-d", "jaring", "-q", "-c", "DROP TABLE public.bench_commit"],
            check=True,
            capture_output=True,
        )
    match = re.search(r"tps = ([\d.]+)", out)
    if not match:
        raise RuntimeError(f"no tps in pgbench's output:\n{out}")
    return float(match.group(1))


async def _topic(bootstrap: str, partitions: int) -> str:
    name = f"bench.ceiling.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()
    return name


async def kafka_round_trip(bootstrap: str, samples: int = 300) -> dict[str, float]:
    """Seconds from send to receipt of one record, one at a time: p50, p99."""
    topic = await _topic(bootstrap, 1)
    producer = EventProducer(bootstrap, client_id="bench-rtt")
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=f"bench-rtt-{uuid.uuid4().hex[:6]}"
    )
    await producer.start()
    await consumer.start()
    try:
        await producer.send_all([OutgoingRecord(topic, "k", b"warm-up", [])])
        await consumer.getone()
        times = []
        for i in range(samples):
            sent = time.perf_counter()
            await producer.send_all([OutgoingRecord(topic, "k", str(i).encode() * 1, [])])
            await consumer.getone()
            times.append(time.perf_counter() - sent)
    finally:
        await consumer.stop()
        await producer.stop()
    return {"p50": percentile(times, 50), "p99": percentile(times, 99)}


async def kafka_throughput(bootstrap: str, partitions: int, count: int = 50_000) -> dict[str, float]:
    """Records per second through one idempotent acks=all producer (batches of 500, as the
    relay sends) and through one consumer."""
    topic = await _topic(bootstrap, partitions)
    producer = EventProducer(bootstrap, client_id="bench-throughput")
    await producer.start()
    value = b"x" * EVENT_BYTES
    try:
        started = time.perf_counter()
        for first in range(0, count, 500):
            await producer.send_all([OutgoingRecord(topic, f"k{i}", value, []) for i in range(first, first + 500)])
        produce = count / (time.perf_counter() - started)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"bench-tp-{uuid.uuid4().hex[:6]}",
        max_poll_records=2000,
    )
    await consumer.start()
    try:
        got, started = 0, None
        while got < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=2000)
            if batch and started is None:
                started = time.perf_counter()
            got += sum(len(v) for v in batch.values())
        consume = count / (time.perf_counter() - started)
    finally:
        await consumer.stop()
    return {"produce": produce, "consume": consume}


async def faststream_empty_handler(bootstrap: str, partitions: int, count: int = 20_000, batch: int = 1) -> float:
    """Records per second an empty handler takes in (offsets committed as the services do:
    NACK_ON_ERROR), from its first record to its last (the group join is not counted)."""
    topic = await _topic(bootstrap, partitions)
    producer = EventProducer(bootstrap, client_id="bench-faststream")
    await producer.start()
    try:
        for first in range(0, count, 500):
            await producer.send_all([OutgoingRecord(topic, f"k{i}", b"{}", []) for i in range(first, first + 500)])
    finally:
        await producer.stop()
    broker = KafkaBroker(bootstrap, logger=None)
    seen = {"n": 0, "first": 0.0, "last": 0.0}
    done = asyncio.Event()

    def took(n: int) -> None:
        now = time.perf_counter()
        seen["first"] = seen["first"] or now
        seen["n"] += n
        seen["last"] = now
        if seen["n"] >= count:
            done.set()

    options = dict(
        group_id=f"bench-fs-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR
    )
    # Typed as the services' subscribers are (shared/consuming.py): the raw message, no decoding.
    if batch > 1:

        @broker.subscriber(topic, batch=True, max_records=batch, max_poll_records=max(100, batch), **options)
        async def on_batch(message: KafkaMessage) -> None:
            took(len(message.raw_message))
    else:

        @broker.subscriber(topic, **options)
        async def on_message(message: KafkaMessage) -> None:
            took(1)

    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), 300)
    finally:
        await broker.stop()
    return count / (seen["last"] - seen["first"])


async def measure(bootstrap: str, node: PostgresNode, partitions: int, clients: int, progress=print) -> dict:
    """Every ceiling, one after the other (nothing else should be running meanwhile)."""
    figures: dict = {}
    progress("  ceilings: pgbench…")
    figures["pg_commits_1"] = await asyncio.to_thread(pgbench_commits, node, 1)
    figures["pg_commits_n"] = await asyncio.to_thread(pgbench_commits, node, clients)
    figures["pg_clients"] = clients
    progress("  ceilings: Kafka…")
    figures["kafka_rtt"] = await kafka_round_trip(bootstrap)
    figures["kafka_throughput"] = await kafka_throughput(bootstrap, partitions)
    progress("  ceilings: FastStream…")
    figures["faststream_single"] = await faststream_empty_handler(bootstrap, partitions, 2_000, batch=1)
    figures["faststream_batch"] = await faststream_empty_handler(bootstrap, partitions, 50_000, batch=100)
    return figures

"""Reading Kafka from tests: end offsets, a group's committed offsets, whole topics, a record as a consumer gets it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts.enrollment import ContributionRecorded
from shared.envelope import Envelope, new_envelope


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "condition") -> None:
    """Waits on a condition with a deadline (never a bare sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer._client.force_metadata_update()  # private: the first call may lack metadata
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: off for tp, off in ends.items()}
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}
    finally:
        await admin.close()


async def group_caught_up(bootstrap: str, group: str, *topics: str) -> bool:
    """The group has committed every offset of each of these topics."""
    for topic in topics:
        ends = await end_offsets(bootstrap, topic)
        done = await committed_offsets(bootstrap, group, topic)
        if not all(done.get(p, 0) >= end for p, end in ends.items()):
            return False
    return True


async def read_all(bootstrap: str, topic: str) -> list:
    """Every record now on the topic, from the beginning."""
    ends = await end_offsets(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records = []
    try:
        partitions = [TopicPartition(topic, p) for p in ends]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        while not await _reached(consumer, partitions, ends):
            batch = await consumer.getmany(timeout_ms=1000)
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


async def _reached(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], ends: dict[int, int]) -> bool:
    for tp in partitions:
        if await consumer.position(tp) < ends[tp.partition]:
            return False
    return True


def record_carrying(topic: str, offset: int, envelope: Envelope, key: str, timestamp: int = 0) -> ConsumerRecord:
    """The Kafka record a consumer gets for this event (partition 0), with the relay's headers and
    the producer's timestamp (ms)."""
    raw_key, value = key.encode(), envelope.to_bytes()
    return ConsumerRecord(
        topic, 0, offset, timestamp, 0, raw_key, value, None, len(raw_key), len(value), tuple(envelope.kafka_headers())
    )


def keys_handled_alone(runner) -> list[str]:
    """Watches a ConsumerRunner: the keys of the records it goes on to handle on their own (a
    transaction each, not in a batch's), in order."""
    alone: list[str] = []
    handle = runner.handle

    async def handled_alone(record: ConsumerRecord) -> str:
        alone.append(record.key.decode())
        return await handle(record)

    runner.handle = handled_alone
    return alone


def contribution_paid(contribution_id: str, participant_id: str, amount: int = 16_800) -> Envelope:
    """A ContributionRecorded event, the plumbing tests' event of choice (any topic, any handler)."""
    payload = ContributionRecorded(
        participant_id=participant_id,
        contribution_id=contribution_id,
        period="2026-11",
        amount=amount,
        payer="self",
        paid_at=date(2026, 11, 24),
    )
    return new_envelope(payload, correlation_id=participant_id, producer="test")


async def stop_kafka_tasks_left_running() -> list[str]:
    """Cancels the Kafka clients' tasks still running in this event loop (a client nobody stopped:
    its metadata refresh, a consumer's fetcher, a producer's sender) and closes their clients'
    connections. Returns the tasks' names, sorted, for whoever left them to be told."""
    left = [t for t in asyncio.all_tasks() if "/aiokafka/" in _code_of(t).co_filename]
    # A metadata refresh runs as a method of its client: that is how the client is found.
    clients = {
        t.get_coro().cr_frame.f_locals["self"]
        for t in left
        if _code_of(t).co_name == "_md_synchronizer" and t.get_coro().cr_frame is not None
    }
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)
    for client in clients:
        await asyncio.wait_for(client.close(), 10)
    return sorted(_code_of(t).co_qualname for t in left)


def _code_of(task: asyncio.Task):
    return getattr(task.get_coro(), "cr_code", _NOT_A_COROUTINE)


_NOT_A_COROUTINE = (lambda: None).__code__

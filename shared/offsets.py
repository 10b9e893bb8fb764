"""Offsets a consumer group committed to Kafka: after the transaction, at most once an interval.

A record's offset is committed only after the transaction that applied it committed (the inbox
makes a redelivery harmless, not free). Committing after every poll cost an OffsetCommit request a
poll for every group: the broker appends it to __consumer_offsets and the client waits for the
answer before its next poll. Here the offsets of applied records wait, and go to Kafka together:
at once when the group committed nothing for `interval` seconds (light traffic adds no lag), else
at the end of the interval. What a crash leaves uncommitted (at most `interval` seconds of records,
all applied) comes again and is an inbox duplicate. Before a rebalance takes partitions away, their
offsets are committed, so the member that gets them does not apply them again
(docs/benchmarks.md, round 16).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from shared.logs import get_logger

log = get_logger("consumer")


class KafkaConsumer(Protocol):
    """What is used of aiokafka's AIOKafkaConsumer."""

    def assignment(self) -> set[TopicPartition]: ...

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...


class OffsetCommits(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka has no types
    """One group's applied offsets, waiting to be committed. It is also the group's rebalance
    listener (aiokafka calls `on_partitions_revoked` while the partitions are still the member's)."""

    def __init__(self, group: str, interval_seconds: float):
        self.group = group
        self.interval_seconds = interval_seconds
        self._consumer: KafkaConsumer | None = None
        self._pending: dict[TopicPartition, int] = {}  # the next offset to read, per partition
        self._last_commit = float("-inf")
        self._scheduled: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False
        self.requests = 0  # OffsetCommit requests sent (the tests count them)

    @property
    def pending(self) -> dict[TopicPartition, int]:
        return dict(self._pending)

    async def applied(self, consumer: KafkaConsumer, records: Sequence[ConsumerRecord]) -> None:
        """`records` were applied and their transaction committed: their offsets may be committed."""
        if self._closed:
            return  # the service is stopping: they come again after the restart, inbox duplicates
        self._consumer = consumer
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            self._pending[partition] = max(self._pending.get(partition, 0), record.offset + 1)
        if time.monotonic() - self._last_commit >= self.interval_seconds:
            await self.flush()
        elif self._scheduled is None:
            delay = self._last_commit + self.interval_seconds - time.monotonic()
            self._scheduled = asyncio.get_running_loop().call_later(max(0.0, delay), self._flush_later)

    def _flush_later(self) -> None:
        self._scheduled = None
        self._flushing = asyncio.create_task(self.flush(), name=f"offsets:{self.group}")

    async def flush(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Commits the pending offsets (of `partitions` only, if given) of partitions still assigned.
        A commit the group refuses (it rebalanced meanwhile) drops them: the partitions' new owner
        reads from the last committed offset, and what it applies again is an inbox duplicate. A
        failure of the broker keeps them for the next commit."""
        if partitions is None and self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        consumer = self._consumer
        chosen = set(self._pending) if partitions is None else set(partitions) & set(self._pending)
        if consumer is None or not chosen:
            return
        offsets = {tp: self._pending.pop(tp) for tp in chosen}
        assigned = consumer.assignment()
        offsets = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if not offsets:
            return
        self._last_commit = time.monotonic()
        self.requests += 1
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("consumer.offsets_not_committed", group=self.group, reason=str(exc))
        except KafkaError as exc:
            for tp, offset in offsets.items():
                self._pending[tp] = max(self._pending.get(tp, 0), offset)
            log.warning("consumer.offsets_commit_failed", group=self.group, reason=str(exc))

    async def close(self) -> None:
        """On a clean stop, before the consumer leaves its group: what is pending, committed. Nothing
        after: a commit scheduled for later would reach a consumer already stopped."""
        self._closed = True
        if self._flushing is not None and not self._flushing.done():
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self.flush()

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.flush(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        return None

"""A poll's records are applied per partition, the partitions side by side (shared/consuming.py)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import ConsumerRecord

from shared.consuming import Consumer, ConsumerRunner
from shared.topics import CLAIMS_FILED


def record(partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord(CLAIMS_FILED.name, partition, offset, 0, 0, b"k", b"{}", None, 1, 2, [])


class Recorded(ConsumerRunner):
    """The runner with its transaction replaced: what each apply_batch call received."""

    def __init__(self, gate: asyncio.Event | None = None, failing_partition: int | None = None):
        super().__init__(Consumer("test", CLAIMS_FILED, {}), pool=None, producer=None)
        self.calls: list[list[tuple[int, int]]] = []
        self.finished: list[int] = []
        self._gate = gate
        self._failing = failing_partition

    async def apply_batch(self, records):
        partition = records[0].partition
        self.calls.append([(r.partition, r.offset) for r in records])
        if partition == 0 and self._gate is not None:
            await asyncio.wait_for(self._gate.wait(), 2)  # released only by partition 1's batch
        if partition == 1 and self._gate is not None:
            self._gate.set()
        if partition == self._failing:
            raise RuntimeError("handler failed")
        self.finished.append(partition)


async def test_records_of_one_partition_stay_together_and_in_order():
    runner = Recorded()
    await runner.handle_batch([record(0, 5), record(1, 7), record(0, 6), record(1, 8), record(0, 7)])
    assert sorted(runner.calls) == [[(0, 5), (0, 6), (0, 7)], [(1, 7), (1, 8)]]


async def test_partitions_do_not_wait_for_each_other():
    # Partition 0's transaction can only finish once partition 1's has started: run one
    # after the other, this would time out.
    runner = Recorded(gate=asyncio.Event())
    await runner.handle_batch([record(0, 1), record(1, 1)])
    assert sorted(runner.finished) == [0, 1]


async def test_a_failing_partition_fails_the_poll_after_the_others_committed():
    runner = Recorded(failing_partition=1)
    with pytest.raises(RuntimeError, match="handler failed"):
        await runner.handle_batch([record(0, 1), record(1, 1), record(2, 1)])
    assert sorted(runner.finished) == [0, 2]

"""A poll's records are applied in one transaction, whatever partitions they span, in the poll's
order (shared/consuming.py): one commit per poll."""

from __future__ import annotations

import pytest
from aiokafka import ConsumerRecord

from shared.consuming import Consumer, ConsumerRunner
from shared.topics import CLAIMS_FILED


def record(partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord(CLAIMS_FILED.name, partition, offset, 0, 0, b"k", b"{}", None, 1, 2, [])


class Recorded(ConsumerRunner):
    """The runner with its transaction replaced: what each apply_batch call received."""

    def __init__(self, failing: bool = False):
        super().__init__(Consumer("test", (CLAIMS_FILED,), {}), pool=None, producer=None)
        self.calls: list[list[tuple[int, int]]] = []
        self._failing = failing

    async def apply_batch(self, records):
        self.calls.append([(r.partition, r.offset) for r in records])
        if self._failing:
            raise RuntimeError("handler failed")


async def test_a_poll_of_several_partitions_is_one_transaction_in_the_polls_order():
    runner = Recorded()
    await runner.handle_batch([record(0, 5), record(0, 6), record(1, 7), record(1, 8), record(2, 3)])
    assert runner.calls == [[(0, 5), (0, 6), (1, 7), (1, 8), (2, 3)]]


async def test_a_failing_poll_fails_whole_so_its_offsets_are_not_committed():
    runner = Recorded(failing=True)
    with pytest.raises(RuntimeError, match="handler failed"):
        await runner.handle_batch([record(0, 1), record(1, 1), record(2, 1)])
    assert runner.calls == [[(0, 1), (1, 1), (2, 1)]]

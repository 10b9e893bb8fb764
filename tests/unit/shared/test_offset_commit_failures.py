"""What OffsetCommits sends when Kafka refuses or fails a commit, and after it closed
(shared/offsets.py). The broker's own behaviour is tested on the real one
(tests/integration/test_offset_commits.py); these are the failures a test cannot make a real broker
give on cue."""

from __future__ import annotations

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError

from shared.offsets import OffsetCommits

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


class FakeConsumer:
    def __init__(self, assigned: set[TopicPartition], fail_with: Exception | None = None):
        self.assigned, self.fail_with = assigned, fail_with
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))
        if self.fail_with is not None:
            raise self.fail_with


def record(partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord("t", partition, offset, 0, 0, b"k", b"v", None, 1, 1, ())


async def test_the_next_offset_of_each_partition_goes_once_the_interval_allows():
    commits, consumer = OffsetCommits("g", 0.0), FakeConsumer({P0, P1})
    await commits.applied(consumer, [record(0, 4), record(1, 9), record(0, 6), record(0, 5)])
    assert consumer.commits == [{P0: 7, P1: 10}]  # the offset after the highest applied one
    assert commits.pending == {}


async def test_offsets_wait_within_the_interval():
    commits, consumer = OffsetCommits("g", 3600.0), FakeConsumer({P0})
    await commits.applied(consumer, [record(0, 0)])
    await commits.applied(consumer, [record(0, 1)])
    await commits.applied(consumer, [record(0, 2)])
    assert consumer.commits == [{P0: 1}]
    assert commits.pending == {P0: 3}
    await commits.close()
    assert consumer.commits == [{P0: 1}, {P0: 3}]


async def test_a_commit_the_group_refuses_is_dropped():
    """The group rebalanced meanwhile: the partition's new owner reads from the last committed offset."""
    commits, consumer = OffsetCommits("g", 0.0), FakeConsumer({P0}, CommitFailedError("rebalanced"))
    await commits.applied(consumer, [record(0, 3)])
    assert commits.pending == {}


async def test_a_commit_the_broker_fails_is_kept_for_the_next():
    commits, consumer = OffsetCommits("g", 0.0), FakeConsumer({P0}, KafkaConnectionError("broker away"))
    await commits.applied(consumer, [record(0, 3)])
    assert commits.pending == {P0: 4}
    consumer.fail_with = None
    await commits.applied(consumer, [record(0, 4)])
    assert consumer.commits[-1] == {P0: 5}
    assert commits.pending == {}


async def test_partitions_no_longer_assigned_are_not_committed():
    commits, consumer = OffsetCommits("g", 3600.0), FakeConsumer({P0, P1})
    await commits.applied(consumer, [record(0, 0)])
    await commits.applied(consumer, [record(0, 1), record(1, 1)])
    consumer.assigned = {P1}
    await commits.close()
    assert consumer.commits == [{P0: 1}, {P1: 2}]


async def test_a_revoked_partition_is_committed_before_it_goes():
    commits, consumer = OffsetCommits("g", 3600.0), FakeConsumer({P0, P1})
    await commits.applied(consumer, [record(0, 0)])
    await commits.applied(consumer, [record(0, 1), record(1, 7)])
    await commits.on_partitions_revoked({P1})
    assert consumer.commits == [{P0: 1}, {P1: 8}]
    assert commits.pending == {P0: 2}
    await commits.close()


async def test_nothing_is_scheduled_once_closed():
    """The service stops: a poll applied after the last commit comes again after the restart, rather
    than a commit reaching a consumer already stopped."""
    commits, consumer = OffsetCommits("g", 3600.0), FakeConsumer({P0})
    await commits.applied(consumer, [record(0, 0)])
    await commits.close()
    await commits.applied(consumer, [record(0, 1)])
    assert commits.pending == {}
    assert consumer.commits == [{P0: 1}]

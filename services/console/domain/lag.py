"""A consumer group's lag, as Kafka's own tools count it.

Lag of a partition = the log-end offset minus the group's committed offset. Counted
only where the group has committed an offset, as `kafka-consumer-groups --describe`
does (it shows "-" elsewhere), so the two always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Partition = tuple[str, int]  # (topic, partition)


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(self.end - self.committed, 0)


@dataclass(frozen=True)
class TopicLag:
    topic: str
    partitions: tuple[PartitionLag, ...]

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def worst(self) -> PartitionLag:
        return max(self.partitions, key=lambda p: (p.lag, -p.partition))


def group_lag(committed: Mapping[Partition, int], ends: Mapping[Partition, int]) -> list[TopicLag]:
    """Per topic, sorted by name; partitions whose end offset is unknown are left out."""
    by_topic: dict[str, list[PartitionLag]] = {}
    for (topic, partition), offset in committed.items():
        if offset < 0 or (topic, partition) not in ends:
            continue
        by_topic.setdefault(topic, []).append(PartitionLag(topic, partition, offset, ends[(topic, partition)]))
    return [
        TopicLag(topic, tuple(sorted(parts, key=lambda p: p.partition))) for topic, parts in sorted(by_topic.items())
    ]

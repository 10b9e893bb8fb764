"""What Kafka itself says about the flows: end offsets, message rates, consumer groups and
their committed offsets (so lag is Kafka's, not a counter a service keeps), and single
records read back by their coordinates (for a replay).

Clients are opened per question and closed after it: questions are rare (a page refresh
every few seconds) and a fresh client never holds stale metadata or a dead connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from services.console.domain.lag import TopicLag, group_lag

MINUTES = 15  # how far back rates and the per-minute chart look


@dataclass(frozen=True)
class TopicFlow:
    name: str
    partitions: int
    end_offset: int  # summed over partitions: how many records were ever written
    rate_1m: float  # records per second over the last minute
    rate_15m: float
    per_minute: tuple[int, ...]  # records in each of the last 15 minutes, oldest first
    end_offsets: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Member:
    client_id: str
    host: str
    assignment: dict[str, list[int]]


@dataclass(frozen=True)
class GroupFlow:
    group_id: str
    state: str
    members: tuple[Member, ...]
    lag: tuple[TopicLag, ...]

    @property
    def total_lag(self) -> int:
        return sum(t.lag for t in self.lag)

    @property
    def topics(self) -> list[str]:
        """Topics the group reads: those it has committed offsets on, and those assigned to
        its members (a topic nobody has written to yet has no committed offset)."""
        assigned = {topic for member in self.members for topic in member.assignment}
        return sorted(assigned | {t.topic for t in self.lag})

    @property
    def unread_topics(self) -> list[str]:
        """Assigned topics with no committed offset yet (Kafka's tools show their lag as "-")."""
        return [topic for topic in self.topics if topic not in {t.topic for t in self.lag}]


@dataclass(frozen=True)
class Flows:
    topics: tuple[TopicFlow, ...]
    groups: tuple[GroupFlow, ...]
    taken_at: float


class KafkaView:
    def __init__(self, bootstrap_servers: str, request_timeout_ms: int = 10_000):
        self._bootstrap = bootstrap_servers
        self._timeout_ms = request_timeout_ms

    async def flows(self, topic_names: Sequence[str]) -> Flows:
        """Topics' offsets and rates, and every consumer group that has read one of them."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=self._timeout_ms)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, enable_auto_commit=False, request_timeout_ms=self._timeout_ms
        )
        await admin.start()
        try:
            await consumer.start()
            described = await admin.describe_topics(list(topic_names))
            partitions = {
                t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in described if not t["error_code"]
            }
            tps = [TopicPartition(topic, p) for topic in topic_names for p in partitions.get(topic, ())]
            # Assigning makes the client fetch these topics' metadata at once (else the first
            # end_offsets waits out the metadata backoff, about a second); pausing keeps it from
            # fetching records, whose long polls would queue the offset lookups behind them.
            consumer.assign(tps)
            consumer.pause(*tps)
            now_ms = int(time.time() * 1000)
            ends = {(tp.topic, tp.partition): offset for tp, offset in (await consumer.end_offsets(tps)).items()}
            # The first offset written at or after each minute boundary (Kafka's time index):
            # records since then = end − that offset. No history of our own is needed.
            since: list[dict[tuple[str, int], int]] = []
            for minutes in range(MINUTES, -1, -1):
                found = await consumer.offsets_for_times({tp: now_ms - minutes * 60_000 for tp in tps})
                since.append(
                    {
                        (tp.topic, tp.partition): ends[(tp.topic, tp.partition)] if hit is None else hit.offset
                        for tp, hit in found.items()
                    }
                )
            topics = tuple(self._topic_flow(topic, partitions.get(topic, []), ends, since) for topic in topic_names)
            groups = await self._groups(admin, set(topic_names), ends)
        finally:
            await consumer.stop()
            await admin.close()
        return Flows(topics, groups, time.time())

    @staticmethod
    def _topic_flow(
        topic: str, partitions: list[int], ends: dict[tuple[str, int], int], since: list[dict[tuple[str, int], int]]
    ) -> TopicFlow:
        keys = [(topic, p) for p in partitions]
        end = sum(ends.get(k, 0) for k in keys)
        at = [sum(mark.get(k, 0) for k in keys) for mark in since]  # offsets at -15m … -1m, now
        per_minute = tuple(max(b - a, 0) for a, b in zip(at, at[1:]))
        last_minute = max(end - at[-2], 0) if len(at) > 1 else 0
        last_15 = max(end - at[0], 0)
        return TopicFlow(
            topic,
            len(partitions),
            end,
            round(last_minute / 60, 3),
            round(last_15 / (MINUTES * 60), 3),
            per_minute,
            {p: ends.get((topic, p), 0) for p in partitions},
        )

    async def _groups(
        self, admin: AIOKafkaAdminClient, topics: set[str], ends: dict[tuple[str, int], int]
    ) -> tuple[GroupFlow, ...]:
        listed = sorted(name for name, _protocol in await admin.list_consumer_groups())
        if not listed:
            return ()
        # One group per DescribeGroups request: aiokafka 0.14 reads a v3 answer with the v2
        # layout (it lacks each group's trailing authorized_operations), which goes unnoticed
        # for one group and misreads the second of several.
        described: dict[str, dict] = {}
        answers = await asyncio.gather(*(admin.describe_consumer_groups([g]) for g in listed), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException):
                continue
            for response in answer:
                for group in response.to_object()["groups"]:
                    described[group["group"]] = group
        offsets = await asyncio.gather(*(admin.list_consumer_group_offsets(g) for g in listed), return_exceptions=True)
        flows = []
        for group_id, committed in zip(listed, offsets):
            if isinstance(committed, BaseException):
                continue  # a group deleted between listing and asking
            mine = {(tp.topic, tp.partition): meta.offset for tp, meta in committed.items() if tp.topic in topics}
            info = described.get(group_id, {})
            members = tuple(_member(m) for m in info.get("members", ()))
            assigned = {t for m in members for t in m.assignment}
            if not mine and not assigned & topics:
                continue  # a group of some other application (or test) on this cluster
            flows.append(GroupFlow(group_id, info.get("state", "Unknown"), members, tuple(group_lag(mine, ends))))
        return tuple(flows)

    async def record(self, topic: str, partition: int, offset: int, timeout: float = 10.0) -> ConsumerRecord | None:
        """The record at these coordinates, exactly as stored (bytes and headers), or None
        when retention has removed it."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, enable_auto_commit=False, request_timeout_ms=self._timeout_ms
        )
        await consumer.start()
        try:
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                batch = await consumer.getmany(tp, timeout_ms=500, max_records=1)
                for record in batch.get(tp, ()):
                    return record if record.offset == offset else None
        finally:
            await consumer.stop()
        return None

    async def records(
        self, topic: str, partition: int, start: int, limit: int, timeout: float = 10.0
    ) -> tuple[list[ConsumerRecord], int, int]:
        """Up to `limit` records of one partition from offset `start` on, as stored; and the
        partition's first and end offsets (what retention kept)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, enable_auto_commit=False, request_timeout_ms=self._timeout_ms
        )
        await consumer.start()
        try:
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            first = (await consumer.beginning_offsets([tp]))[tp]
            end = (await consumer.end_offsets([tp]))[tp]
            start = max(start, first)
            found: list[ConsumerRecord] = []
            if start >= end:
                return found, first, end
            consumer.seek(tp, start)
            deadline = time.monotonic() + timeout
            while len(found) < limit and time.monotonic() < deadline:
                batch = await consumer.getmany(tp, timeout_ms=500, max_records=limit - len(found))
                found.extend(batch.get(tp, ()))
                if found and found[-1].offset >= end - 1:
                    break
            return found[:limit], first, end
        finally:
            await consumer.stop()


def _member(raw: dict) -> Member:
    assignment: dict[str, list[int]] = {}
    try:
        decoded = ConsumerProtocolMemberAssignment.decode(raw.get("member_assignment") or b"")
        for topic, partitions in decoded.assignment:
            assignment[topic] = sorted(partitions)
    except Exception:  # noqa: BLE001 - an assignment in another protocol's format: show the member without it
        pass
    return Member(raw.get("client_id", ""), str(raw.get("client_host", "")).lstrip("/"), assignment)

"""Where a merged consumer's group starts: where the groups it replaces stopped.

A consumer that takes the place of several (`Consumer.formerly`: one group where several read the
same topic, or one group reading the topics that several read one each) starts with the inbox and
the parked messages of the former ones (shared/migrations/0004_merged_consumers.sql). Started from
the earliest offset it would read each topic again, every event a duplicate for the inbox: nothing
applied twice, but the whole retention read. So at the merged group's first start (it has no
committed offset on any of its topics), each partition's offset is set to the lowest committed
offset of the former groups that read its topic: below it every one of them had read everything,
and from it on what one former group had applied already is a duplicate for the inbox. A partition
where such a former group has no offset, and a topic no former group read, start from the
earliest, as a new group would. Then the former groups are deleted (once their processes are
gone), so their lag does not grow on the console and in the alerts for ever.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, for_code
from aiokafka.protocol.admin import DeleteGroupsRequest

from shared.consuming import Consumer
from shared.logs import get_logger

log = get_logger("merged_groups")

# Kafka's DeleteGroups answers.
_GROUP_ID_NOT_FOUND, _NON_EMPTY_GROUP = 69, 68


def starting_offsets(partitions: list[int], former: list[dict[int, int]]) -> dict[int, int]:
    """Per partition of one topic, the lowest committed offset of the former groups that read it; a
    partition some former group has no offset for is left out (it starts from the earliest)."""
    if not former:
        return {}
    return {p: min(group[p] for group in former) for p in partitions if all(p in group for group in former)}


async def _committed(admin: AIOKafkaAdminClient, group: str) -> dict[str, dict[int, int]]:
    """The group's committed offsets, per topic and partition: one request for all its topics."""
    found: dict[str, dict[int, int]] = {}
    for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
        if meta.offset >= 0:
            found.setdefault(tp.topic, {})[tp.partition] = meta.offset
    return found


async def start_where_former_groups_stopped(
    bootstrap: str, consumer: Consumer, patience_seconds: float = 60.0
) -> dict[str, dict[int, int]]:
    """At the merged group's first start, commits the offsets it starts from; returns them per topic
    ({}: nothing to carry over, or the group has offsets already). A broker not ready to answer for
    groups yet (a new cluster creates its offsets topic at the first group lookup) is asked again."""
    if not consumer.formerly:
        return {}
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            return await _start_where_former_groups_stopped(bootstrap, consumer)
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
            log.info("merged_group.broker_not_ready", consumer=consumer.name, error=repr(exc))
            await asyncio.sleep(0.5)


async def _start_where_former_groups_stopped(bootstrap: str, consumer: Consumer) -> dict[str, dict[int, int]]:
    # Each topic's former readers (every one reads a topic of the consumer's: Consumer checks it); a
    # topic no former group read starts from the earliest.
    readers: dict[str, list[str]] = {}
    for group, topic in consumer.formerly.items():
        readers.setdefault(topic.name, []).append(group)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if set(await _committed(admin, consumer.name)) & set(consumer.topic_names):
            return {}
        committed = {group: await _committed(admin, group) for group in consumer.formerly}
        former = {topic: [committed[group].get(topic, {}) for group in groups] for topic, groups in readers.items()}
        described = await admin.describe_topics(list(readers))
    finally:
        await admin.close()
    partitions = {t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in described}
    start = {
        topic: offsets
        for topic, groups in former.items()
        if (offsets := starting_offsets(partitions.get(topic, []), groups))
    }
    if not start:
        return {}
    committer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=consumer.name, enable_auto_commit=False)
    await committer.start()
    try:
        tps = {TopicPartition(topic, p): offset for topic, offsets in start.items() for p, offset in offsets.items()}
        committer.assign(list(tps))
        # A commit outside any generation: the broker takes it only while the group has no member,
        # so an instance that started first and is reading already is not moved back.
        await committer.commit(tps)
    except KafkaError as exc:
        if exc.retriable:
            raise
        # Refused: another instance carried them over first and its member is reading already.
        log.warning("merged_group.offsets_not_carried", consumer=consumer.name, error=repr(exc))
        return {}
    finally:
        await committer.stop()
    log.info("merged_group.offsets_carried", consumer=consumer.name, formerly=list(consumer.formerly), start=start)
    return start


async def delete_former_groups(bootstrap: str, consumer: Consumer) -> list[str]:
    """Deletes the former groups that have no member left; returns those still there (a process of
    the former version still runs)."""
    if not consumer.formerly:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    remaining = []
    try:
        for group in consumer.formerly:
            # aiokafka's admin client has no delete_consumer_groups: the request, to the group's coordinator.
            node = await admin.find_coordinator(group)
            response = await admin._send_request_to_node(node, DeleteGroupsRequest([group]))
            for name, error_code in response.results:
                if error_code == _NON_EMPTY_GROUP:
                    remaining.append(name)
                elif error_code not in (0, _GROUP_ID_NOT_FOUND):
                    raise for_code(error_code)(f"deleting consumer group {name}")
                elif error_code == 0:
                    log.info("merged_group.former_deleted", consumer=consumer.name, former=name)
    finally:
        await admin.close()
    return remaining


async def retire_former_groups(bootstrap: str, consumer: Consumer, every_seconds: float = 30.0) -> None:
    """Until the former groups are gone: a rolling upgrade's old processes stop after the new ones started."""
    while True:
        try:
            if not await delete_former_groups(bootstrap, consumer):
                return
        except Exception as exc:  # noqa: BLE001 - the next round tries again
            log.warning("merged_group.delete_failed", consumer=consumer.name, error=repr(exc))
        await asyncio.sleep(every_seconds)

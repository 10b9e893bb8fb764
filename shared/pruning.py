"""Keeping the inbox bounded: a consumer's inbox row is deleted once no copy of its event can
reach that consumer again.

An event can come again to a consumer that applied it while it is in its topic (a redelivery
after a crash, or a replay from the earliest offset when the group's offsets are lost or reset),
and, dead-lettered by another consumer of the same topic, while it is in the dead-letter topic
(an operator replays it to the topic, same event id). Neither stays longer than the topic's
retention plus the dead-letter topic's: an event is read, if at all, while in its topic, and
dead-lettered then. So a row is kept for both retentions plus a day's margin (clocks, a
dead-lettering under way when the topic deleted its copy), for a consumer of several topics the
longest of its topics' keeps, and never pruned when any keeps for ever (retention.ms -1: the
participants topic, from which read models are rebuilt). The retentions are the broker's own, read
when pruning: a topic an operator gave a longer retention keeps its inbox rows longer; a broker
that does not answer prunes nothing that round.

The outbox needs no pruning: the relay deletes a row once Kafka has it. Quarantined events stay
for an operator, parked messages leave `waiting` when applied or dead-lettered. docs/operations.md
has the rule and the metric.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.logs import get_logger
from shared.metrics import INBOX_PRUNED
from shared.topics import DAY_MS, dead_letter_topic

if TYPE_CHECKING:  # shared.service imports this module
    from shared.service import Runtime

log = get_logger("pruning")

MARGIN_MS = DAY_MS
FOR_EVER = -1  # retention.ms of a topic that keeps its messages


def inbox_keep(topic_retention_ms: int, dead_letter_retention_ms: int) -> timedelta | None:
    """How long a consumer's inbox rows are kept for a topic with these retentions; None: for ever."""
    if topic_retention_ms == FOR_EVER or dead_letter_retention_ms == FOR_EVER:
        return None
    return timedelta(milliseconds=topic_retention_ms + dead_letter_retention_ms + MARGIN_MS)


async def broker_retentions(bootstrap: str, topics: Sequence[str]) -> dict[str, int]:
    """retention.ms of each topic as the broker has it (topics it does not know are left out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
    finally:
        await admin.close()
    found: dict[str, int] = {}
    for response in responses:
        for error_code, _message, _type, name, entries in response.resources:
            if error_code == 0:
                configs = {entry[0]: entry[1] for entry in entries}  # (name, value, read_only, …)
                found[name] = int(configs["retention.ms"])
    return found


async def prune_inbox(pool: asyncpg.Pool, service: str, consumer: str, keep: timedelta, batch: int = 1000) -> int:
    """Deletes the consumer's inbox rows older than `keep`, `batch` rows a statement (each its own
    short transaction: a consumer's insert never waits long behind it); returns how many."""
    pruned = 0
    while True:
        status = await pool.execute(
            "DELETE FROM inbox WHERE consumer = $1 AND event_id IN (SELECT event_id FROM inbox WHERE consumer = $1 "
            "AND processed_at < now() - $2::interval ORDER BY processed_at LIMIT $3)",
            consumer,
            keep,
            batch,
        )
        deleted = int(status.split()[-1])
        pruned += deleted
        INBOX_PRUNED.labels(service, consumer).inc(deleted)
        if deleted < batch:
            return pruned


def longest_keep(keeps: Sequence[timedelta | None]) -> timedelta | None:
    """A consumer reading several topics keeps a row as long as the longest of its topics' keeps
    asks (an event id says nothing of the topic it came on); None (for ever) if any keeps for ever."""
    if any(keep is None for keep in keeps):
        return None
    return max(keep for keep in keeps if keep is not None)


async def prune_inboxes(
    pool: asyncpg.Pool,
    bootstrap: str,
    service: str,
    consumers: Sequence[tuple[str, Sequence[str]]],
    batch: int = 1000,
) -> dict[str, int]:
    """One round for (consumer, its topics) pairs: each consumer's rows its topics' retentions allow to go."""
    topics = sorted({topic for _, read in consumers for topic in read})
    retentions = await broker_retentions(bootstrap, [*topics, *map(dead_letter_topic, topics)])
    pruned: dict[str, int] = {}
    for consumer, read in consumers:
        unknown = [t for t in read if t not in retentions or dead_letter_topic(t) not in retentions]
        if unknown:
            log.warning("inbox.prune_skipped", consumer=consumer, topics=unknown, reason="retention unknown")
            continue
        keep = longest_keep([inbox_keep(retentions[t], retentions[dead_letter_topic(t)]) for t in read])
        if keep is not None:
            pruned[consumer] = await prune_inbox(pool, service, consumer, keep, batch)
    return pruned


def periodic(every_seconds: float, batch: int) -> Callable[[Runtime], Coroutine[None, None, None]]:
    """The service's background step (shared/service.py): a round every `every_seconds`."""

    async def inbox_pruning(runtime: Runtime) -> None:
        consumers = [(c.name, c.topic_names) for c in runtime.consumers]
        while consumers:
            await asyncio.sleep(every_seconds)
            try:
                pruned = await prune_inboxes(
                    runtime.pool, runtime.settings.infra.kafka_bootstrap_servers, runtime.name, consumers, batch
                )
                if any(pruned.values()):
                    log.info("inbox.pruned", rows=pruned)
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                log.warning("inbox.prune_failed", error=repr(exc))

    return inbox_pruning

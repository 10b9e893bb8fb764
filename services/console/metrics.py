"""The console's gauges for Prometheus: consumer lag per group and partition as the console reads
it from Kafka (what `kafka-consumer-groups` reports), and dead letters waiting for an operator."""

from __future__ import annotations

from prometheus_client import Gauge
from starlette.applications import Starlette

from services.console import repository as repo
from services.console.api import flows_of
from services.console.consumers import DEAD_LETTER_TOPICS

CONSUMER_LAG = Gauge(
    "jaring_consumer_lag",
    "Records a consumer group has not read yet: end offset minus committed offset",
    ["group", "topic", "partition"],
)
DEAD_LETTERS_WAITING = Gauge(
    "jaring_dead_letters_waiting", "Dead letters neither replayed nor discarded, by dead-letter topic", ["topic"]
)


async def lag_standing(app: Starlette) -> None:
    flows = await flows_of(app)
    CONSUMER_LAG.clear()  # a group that is gone must not linger at its last lag
    for group in flows.groups:
        for topic in group.lag:
            for partition in topic.partitions:
                CONSUMER_LAG.labels(group.group_id, topic.topic, str(partition.partition)).set(partition.lag)


async def dead_letters_standing(app: Starlette) -> None:
    async with app.state.runtime.pool.acquire(timeout=2) as conn:
        counts = await repo.dead_letter_counts(conn)
    for topic in DEAD_LETTER_TOPICS:
        DEAD_LETTERS_WAITING.labels(topic).set(counts.get(topic, {}).get("waiting", 0))

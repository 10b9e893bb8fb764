"""Dead-letter topics keep their messages for a bounded time (30 days unless configured), on the
real broker."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.kafka import ensure_topics
from shared.topics import Topic

pytestmark = pytest.mark.integration

DAY_MS = 24 * 3600 * 1000


async def retention_ms(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    (resource,) = response.resources
    configs = {entry[0]: entry[1] for entry in resource[4]}  # (name, value, read_only, is_default, sensitive)
    return int(configs["retention.ms"])


async def test_a_created_dead_letter_topic_has_a_30_day_retention(kafka_bootstrap, unique):
    topic = Topic(
        f"test.retention.{unique}.v1", "participant_id", ("ContributionRecorded",), producer="test", retention_ms=-1
    )
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    assert await retention_ms(kafka_bootstrap, topic.dlq) == 30 * 24 * 3600 * 1000
    assert await retention_ms(kafka_bootstrap, topic.name) == -1  # the topic itself keeps its own


async def test_the_dead_letter_retention_is_a_setting(kafka_bootstrap, unique):
    topic = Topic(f"test.retention7.{unique}.v1", "participant_id", ("ContributionRecorded",), producer="test")
    await ensure_topics(kafka_bootstrap, [topic], partitions=1, dead_letter_retention_ms=7 * DAY_MS)
    assert await retention_ms(kafka_bootstrap, topic.dlq) == 7 * 24 * 3600 * 1000

"""The suite's guard against a Kafka client a test module forgot to stop (tests/conftest.py): every
test shares one event loop, so such a client would otherwise run, and once its brokers are gone
reconnect without pause, for the rest of the session."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from tests.support.kafka_tools import stop_kafka_tasks_left_running

pytestmark = pytest.mark.integration


def kafka_tasks() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if "/aiokafka/" in t.get_coro().cr_code.co_filename]


async def test_a_producer_nobody_stopped_is_stopped_and_named(kafka_bootstrap):
    assert kafka_tasks() == []
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()  # and never stopped
    assert len(kafka_tasks()) >= 2  # its metadata refresh and its sender
    assert producer.client._sync_task is not None

    left = await stop_kafka_tasks_left_running()

    assert "AIOKafkaClient._md_synchronizer" in left
    assert "Sender._sender_routine" in left
    assert kafka_tasks() == []
    assert producer.client._sync_task is None  # its client closed: close() drops the refresh


async def test_nothing_left_running_is_nothing_named():
    assert await stop_kafka_tasks_left_running() == []

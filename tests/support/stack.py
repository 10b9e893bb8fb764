"""Real Kafka and PostgreSQL for the test suite.

Taken from the environment when given (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL), else
started here, isolated, on free ports, from the same code the local stack uses — or, with
JARING_TEST_BACKEND=containers, in containers by testcontainers (tests/support/containers.py).
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from deploy.local.kafka import KafkaCluster, KafkaNode, resolve_kafka_jars
from deploy.local.postgres import temporary_cluster

REPO = Path(__file__).resolve().parents[2]


def containers_backend() -> bool:
    backend = os.environ.get("JARING_TEST_BACKEND", "local")
    if backend not in ("local", "containers"):
        raise ValueError(f"JARING_TEST_BACKEND is {backend!r}: 'local' (the default) or 'containers'")
    return backend == "containers"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def kafka_for_tests() -> Iterator[str]:
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    if containers_backend():
        from tests.support.containers import kafka_container

        with kafka_container() as bootstrap:
            yield bootstrap
        return
    libs = resolve_kafka_jars(REPO / ".jaring" / "kafka")
    with tempfile.TemporaryDirectory(prefix="jaring-test-kafka-") as tmp:
        node = KafkaNode(Path(tmp), free_port(), free_port(), libs, heap="512m")
        node.format()
        node.start(Path(tmp) / "kafka.log")
        try:
            asyncio.run(node.wait_ready(timeout=90))
            yield node.bootstrap_servers
        finally:
            node.stop()


@asynccontextmanager
async def kafka_cluster_for_tests(brokers: int = 3) -> AsyncIterator[KafkaCluster]:
    """A KRaft cluster of `brokers` nodes of its own, for the tests about replication only (the
    suite's single broker serves every other test): free ports, a temporary folder, every node
    stopped at the end. Three JVMs: start it once per test module at most."""
    libs = await asyncio.to_thread(resolve_kafka_jars, REPO / ".jaring" / "kafka")
    with tempfile.TemporaryDirectory(prefix="jaring-test-kafka-cluster-") as tmp:
        cluster = KafkaCluster(Path(tmp), [(free_port(), free_port()) for _ in range(brokers)], libs, heap="384m")
        try:
            await asyncio.to_thread(cluster.format)
            cluster.start()
            await cluster.wait_ready(timeout=180)
            yield cluster
        finally:
            await asyncio.to_thread(cluster.stop)


@contextmanager
def postgres_for_tests() -> Iterator[str]:
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    if containers_backend():
        from tests.support.containers import postgres_container

        with postgres_container() as url:
            yield url
        return
    # fast=True (no fsync): a throwaway cluster; durability is PostgreSQL's, not under test.
    with temporary_cluster(free_port(), fast=True, prefix="jaring-test-pg-") as node:
        yield node.url("jaring")

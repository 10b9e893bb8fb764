"""Kafka and PostgreSQL in containers for the test suite (JARING_TEST_BACKEND=containers),
started with testcontainers from the images deploy/images/build.sh makes on this machine.

Each is a throwaway container on a free localhost port, removed with its volumes at the end.
Ryuk (testcontainers' reaper) is off: its image would have to be pulled from a registry; the
context managers below remove what they started, and every container carries the label
`org.jaring.test=1`, so `docker rm -f $(docker ps -aq --filter label=org.jaring.test)` clears
what a killed session left behind.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

# Before testcontainers reads its configuration.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

from deploy.local.kafka import KAFKA_VERSION, wait_for_kafka

KAFKA_IMAGE = os.environ.get("JARING_KAFKA_IMAGE", f"jaring-kafka:{KAFKA_VERSION}")
POSTGRES_IMAGE = os.environ.get("JARING_POSTGRES_IMAGE", "jaring-postgres:15-bookworm")
LABELS = {"org.jaring.test": "1"}
PG_PASSWORD = "jaring-test"


class ContainersUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_image(image: str) -> None:
    import docker  # testcontainers' own dependency

    try:
        client = docker.from_env()
        client.ping()
    except Exception as err:  # any failure here means "no engine to talk to"
        raise ContainersUnavailable(
            "JARING_TEST_BACKEND=containers needs a running Docker engine "
            f"(`deploy/compose/compose.sh engine` starts one when root): {err}"
        ) from err
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise ContainersUnavailable(
            f"image {image} is not on this machine: build it with `make images` "
            "(deploy/images/build.sh; no registry is reachable to pull it)"
        ) from None
    finally:
        client.close()


def _publish_on_localhost(container, container_port: int, host_port: int) -> None:
    # with_bind_ports binds every interface; docker-py's (ip, port) form keeps it on loopback.
    container.ports[f"{container_port}/tcp"] = ("127.0.0.1", host_port)


@contextmanager
def kafka_container() -> Iterator[str]:
    """A one-node KRaft Kafka; yields its bootstrap address on the host."""
    from testcontainers.core.container import DockerContainer

    _require_image(KAFKA_IMAGE)
    port = _free_port()
    # Two client listeners: PLAINTEXT for the image's own healthcheck (inside the container),
    # HOST advertised as the port mapped on this machine, for the tests.
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_name(f"jaring-test-kafka-{uuid.uuid4().hex[:8]}")
        .with_envs(
            KAFKA_LISTENERS="PLAINTEXT://:9092,CONTROLLER://:9093,HOST://:9094",
            KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://localhost:9092,HOST://127.0.0.1:{port}",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,HOST:PLAINTEXT",
            KAFKA_HEAP_OPTS="-Xmx512m -Xms512m",
        )
        .with_kwargs(labels=LABELS)
    )
    _publish_on_localhost(container, 9094, port)
    container.start()
    try:
        bootstrap = f"127.0.0.1:{port}"
        try:
            asyncio.run(wait_for_kafka(bootstrap, timeout=90))
        except Exception as err:  # reported with the container's log
            out, errs = container.get_logs()
            raise ContainersUnavailable(
                f"Kafka container did not get ready: {err}\n{(out + errs).decode()[-3000:]}"
            ) from err
        yield bootstrap
    finally:
        container.stop()


@contextmanager
def postgres_container() -> Iterator[str]:
    """PostgreSQL with a database `jaring`; yields its URL on the host. fsync is off: a
    throwaway cluster, as the local backend's."""
    import asyncpg
    from testcontainers.core.container import DockerContainer

    _require_image(POSTGRES_IMAGE)
    port = _free_port()
    container = (
        DockerContainer(POSTGRES_IMAGE)
        .with_name(f"jaring-test-postgres-{uuid.uuid4().hex[:8]}")
        .with_envs(POSTGRES_USER="jaring", POSTGRES_PASSWORD=PG_PASSWORD, POSTGRES_DB="jaring")
        .with_command(
            [
                "postgres",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ]
        )
        .with_kwargs(labels=LABELS)
    )
    _publish_on_localhost(container, 5432, port)
    container.start()
    url = f"postgresql://jaring:{PG_PASSWORD}@127.0.0.1:{port}/jaring"

    async def ready(timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                conn = await asyncpg.connect(url, timeout=5)
                try:
                    await conn.fetchval("SELECT 1")
                    return
                finally:
                    await conn.close()
            except Exception as err:  # not ready yet
                if loop.time() > deadline:
                    out, errs = container.get_logs()
                    raise ContainersUnavailable(
                        f"PostgreSQL container did not get ready: {err!r}\n{(out + errs).decode()[-3000:]}"
                    ) from err
                await asyncio.sleep(0.2)

    try:
        asyncio.run(ready())
        yield url
    finally:
        container.stop()

"""Kafka plumbing shared by every service: the idempotent producer, topic creation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidProducerIdMapping,
    KafkaError,
    OutOfOrderSequenceNumber,
    TopicAlreadyExistsError,
    UnknownProducerId,
)

from shared.logs import get_logger
from shared.topics import CATALOGUE, DEAD_LETTER_RETENTION_MS, Topic

log = get_logger("kafka")


def bootstrap_list(bootstrap_servers: str) -> list[str]:
    """`host1:9092,host2:9092` as a list. aiokafka splits such a string itself, but FastStream's
    KafkaBroker wraps a string into a one-element list, so a cluster's address list reached the
    client as one host and every service exited at start."""
    return [server.strip() for server in bootstrap_servers.split(",") if server.strip()]


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: str
    value: bytes
    headers: list[tuple[str, bytes]]


class EventProducer:
    """acks=all with idempotence: a retried send is not written twice within a session,
    and a send counts only once every in-sync replica has it."""

    def __init__(self, bootstrap_servers: str, client_id: str):
        self._settings = dict(bootstrap_servers=bootstrap_servers, client_id=client_id)
        self._producer = self._new_producer()

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(**self._settings, enable_idempotence=True, acks="all", linger_ms=5)

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send_all(self, records: Sequence[OutgoingRecord]) -> None:
        """Sends in order and returns once the broker has acknowledged every record."""
        try:
            futures = [
                await self._producer.send(r.topic, r.value, key=r.key.encode(), headers=r.headers) for r in records
            ]
            if futures:
                await asyncio.gather(*futures)
        except (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerIdMapping):
            # The broker lost this producer's sequence state (seen after a broker restart in the
            # chaos run): the same producer would fail forever. A new one gets a new producer id;
            # the caller retries the batch (consumers' inboxes make a republished record harmless).
            log.warning("producer.renewed", client_id=self._settings["client_id"])
            old, self._producer = self._producer, self._new_producer()
            with contextlib.suppress(Exception):
                await old.stop()
            await self._producer.start()
            raise

    async def send_each(self, records: Sequence[OutgoingRecord]) -> list[BaseException | None]:
        """Sends in order and waits for every acknowledgement; returns each record's error (None
        when acknowledged) instead of raising at the first, so the outbox relay can move a record
        Kafka refuses aside while the others go through."""
        outcomes: list[BaseException | None | asyncio.Future[object]] = []
        for r in records:
            try:
                # send() refuses a record larger than max_request_size itself, before queuing it.
                outcomes.append(await self._producer.send(r.topic, r.value, key=r.key.encode(), headers=r.headers))
            except KafkaError as exc:
                outcomes.append(exc)
        futures = [o for o in outcomes if isinstance(o, asyncio.Future)]
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)
        return [o.exception() if isinstance(o, asyncio.Future) else o for o in outcomes]


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[Topic] = CATALOGUE,
    *,
    partitions: int = 3,
    replication_factor: int = 1,
    min_insync_replicas: int | None = None,
    with_dead_letters: bool = True,
    dead_letter_retention_ms: int = DEAD_LETTER_RETENTION_MS,
) -> None:
    """Creates the catalogue's topics (and their .dlq twins, with a bounded retention) if missing;
    existing ones are left as they are (on a cluster, deploy/k8s/topics.yaml sets them).
    `min_insync_replicas` None: 2 with three or more copies (acks=all then means two copies, and
    one broker down stops nothing), else the cluster's default."""
    if min_insync_replicas is None and replication_factor >= 3:
        min_insync_replicas = 2
    replicas = {} if min_insync_replicas is None else {"min.insync.replicas": str(min_insync_replicas)}
    wanted: list[NewTopic] = []
    for topic in topics:
        config = {"retention.ms": str(topic.retention_ms), **replicas}
        wanted.append(NewTopic(topic.name, partitions, replication_factor, topic_configs=config))
        if with_dead_letters:
            wanted.append(
                NewTopic(
                    topic.dlq,
                    partitions,
                    replication_factor,
                    topic_configs={"retention.ms": str(dead_letter_retention_ms), **replicas},
                )
            )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another service created it between list and create
            log.info("topics.created", topics=[t.name for t in missing])
    finally:
        await admin.close()


async def kafka_answers(bootstrap_servers: str, timeout: float = 3.0) -> bool:
    """True when the cluster answers a metadata request (what /health reports)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
        return True
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        try:
            await admin.close()
        except Exception:  # noqa: BLE001 - closing a half-started client may fail; nothing to do
            pass

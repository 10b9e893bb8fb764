"""The path to more machines is Kafka's own replication: on a three-node KRaft cluster (topics with
replication factor 3, min.insync.replicas 2) the node leading the claims topics is killed with
SIGKILL while claims are filed, then, once it is back, the node leading them next. Nothing is
lost, nothing is done twice, and the families are told. With two of three down, writes stop
(acks=all cannot reach two copies) and nothing acknowledged is lost. The long version is
`python -m bench.chaos --brokers 3`."""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections import Counter

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from shared.envelope import read_envelope
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, PAYOUTS
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    claim_form,
    covered_participant,
    member_since,
    today,
)
from tests.support.kafka_tools import read_all, wait_until
from tests.support.pipeline import pipeline
from tests.support.stack import kafka_cluster_for_tests

pytestmark = pytest.mark.e2e

CLAIMS_TOPICS = [t.name for t in (CLAIMS_FILED, CLAIM_DECISIONS, PAYOUTS)]


def family() -> list[dict]:
    """Contacts of this test alone: the spouse by WhatsApp, a daughter by email."""
    n = random.randint(10_000_000, 99_999_999)
    return [
        {"full_name": "Daeng Rannu", "relationship": "spouse", "phone": f"0813{n}"},
        {"full_name": "Sri Wahyuni", "relationship": "child", "email": f"sri.{n}@example.id", "language": "en"},
    ]


async def topic_layout(bootstrap: str, topic: str) -> tuple[set[int], str]:
    """(replica counts of the topic's partitions, its min.insync.replicas)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    replicas = {len(p["replicas"]) for p in described[0]["partitions"]}
    entries = configs[0].resources[0][4]
    return replicas, next(e[1] for e in entries if e[0] == "min.insync.replicas")


async def test_killing_the_claims_leader_twice_loses_nothing_and_doubles_nothing(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "3")  # what `make up` sets with JARING_KAFKA_BROKERS=3
    async with kafka_cluster_for_tests(3) as cluster, pipeline(cluster.bootstrap_servers, database_url, tmp_path) as p:
        participants = [
            await covered_participant(p.enrollment, p.claims, today(), member_since=member_since(), heirs=family())
            for _ in range(3)
        ]
        assert await topic_layout(cluster.bootstrap_servers, PAYOUTS.name) == ({3}, "2")

        async def file(participant_id: str) -> str:
            answer = await p.claims.post(
                "/v1/claims", json=claim_form(participant_id, "JKM", today(), {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
            )
            assert answer.status_code == 202, answer.text
            return answer.json()["claim_id"]

        async def family_told(claim_id: str) -> bool:
            # ClaimFiled and PayoutRecorded, to each of the two heirs: 4 messages, all delivered.
            rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return len(rows) == 4 and all(r["status"] == "delivered" for r in rows)

        first = await file(participants[0])
        await wait_until(lambda: family_told(first), 90, "the first family told, all nodes up")

        claim_ids = [first]
        timings = []
        for participant_id in participants[1:]:
            victim = await cluster.leading_node(CLAIMS_TOPICS)
            killed_at = time.monotonic()
            cluster.kill(victim)
            claim_id = await file(participant_id)  # claims accepts it: the outbox holds it meanwhile
            claim_ids.append(claim_id)
            to_leaders = await cluster.wait_for_new_leaders(CLAIMS_TOPICS, {victim}, timeout=90)
            # Two of three copies are in sync: acks=all writes go on while the node is down.
            await wait_until(functools.partial(family_told, claim_id), 120, f"a family told with node {victim} dead")
            timings.append((victim, to_leaders, time.monotonic() - killed_at))
            cluster.restart(victim)
            await cluster.wait_in_sync(CLAIMS_TOPICS, timeout=120)
        print("\n(node killed, s to new leaders, s from the kill to the family told):", timings)
        assert len({victim for victim, *_ in timings}) == 2, "the second kill hit another node"

        # Nothing lost: every claim paid, Rp 42,000,000 each (lump sum 20,000,000 + periodic
        # 12,000,000 + funeral 10,000,000).
        for claim_id in claim_ids:
            claim = (await p.claims.get(f"/v1/claims/{claim_id}")).json()
            assert claim["status"] == "payout_recorded"
            assert sum(x["amount"] for x in claim["payout"]["components"] if x["kind"] == "cash") == 42_000_000
        # Nothing doubled: one PayoutRecorded event per claim on the topic (a producer retry
        # across a leader change must not write it twice) ...
        payouts = Counter(
            e.correlation_id
            for e in map(read_envelope, (r.value for r in await read_all(cluster.bootstrap_servers, PAYOUTS.name)))
            if e.type == "PayoutRecorded" and e.correlation_id in claim_ids
        )
        assert payouts == {claim_id: 1 for claim_id in claim_ids}
        # ... and each message reached the family once, at the provider and in the mailbox.
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch(
                "SELECT event_id, heir_id, channel FROM notifications.notifications WHERE claim_id = ANY($1)", claim_ids
            )
        finally:
            await conn.close()
        assert len(rows) == 3 * 4  # 3 claims x 2 events x 2 heirs
        ours = {f"{r['event_id']}:{r['heir_id']}:{r['channel']}" for r in rows}
        sent = Counter(
            r["idempotency_key"]
            for r in (await p.provider.get("/_requests")).json()
            if r.get("idempotency_key") in ours and 200 <= r.get("status", 0) < 300
        )
        sent.update(m["idempotency_key"] for m in p.mails() if m.get("idempotency_key") in ours)
        assert sorted(sent.values()) == [1] * (3 * 4), sent

        # Two of three down: no write can reach two copies, so acks=all must fail rather than count
        # a record one node holds; and what was acknowledged before is all there once they are back.
        acknowledged = {
            (r.partition, r.offset, r.value) for r in await read_all(cluster.bootstrap_servers, PAYOUTS.name)
        }
        survivor, *down = [n.node_id for n in cluster.nodes]
        for node_id in down:
            cluster.kill(node_id)
        # Not idempotent: an idempotent producer's id comes from the controller quorum, gone with
        # two of three nodes, and its start would wait for it; this asks only acks=all.
        producer = AIOKafkaProducer(
            bootstrap_servers=cluster.node(survivor).bootstrap_servers, acks="all", request_timeout_ms=5000
        )

        async def write_one() -> None:
            await producer.start()
            await producer.send_and_wait(PAYOUTS.name, b"{}", key=b"two-down", partition=0)

        try:
            with pytest.raises((KafkaError, asyncio.TimeoutError)):
                await asyncio.wait_for(write_one(), 30)
        finally:
            await asyncio.wait_for(producer.stop(), 30)
        for node_id in down:
            cluster.restart(node_id)
        await cluster.wait_ready(120)
        await cluster.wait_in_sync([PAYOUTS.name], timeout=120)
        after = {(r.partition, r.offset, r.value) for r in await read_all(cluster.bootstrap_servers, PAYOUTS.name)}
        assert acknowledged <= after

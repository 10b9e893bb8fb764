"""The console on real Kafka and PostgreSQL, with the three services running in this process:
its event index and trace, lag as Kafka's own tool reports it, dead letters listed, discarded
and replayed (audited, without a second effect), a rebuild from scratch, and role checks."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.claims.domain.dates import add_months
from shared.clock import today as makassar_today
from shared.contracts.notifications import NotificationDelivered
from shared.envelope import new_envelope
from shared.kafka import EventProducer, OutgoingRecord
from shared.topics import CLAIMS_FILED, DELIVERIES, PARTICIPANTS
from tests.support.claimants import (
    CHILD,
    JKK_DOCUMENTS,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    NPWP,
    SPOUSE,
    claim_form,
    covered_participant,
    wait_for_status,
)
from tests.support.console import console, served
from tests.support.kafka_tools import end_offsets, group_caught_up, read_all, wait_until
from tests.support.pipeline import pipeline
from tests.support.services import auth, token
from tests.support.stack import REPO

pytestmark = pytest.mark.integration

NIK = "7371034506920001"


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap, database_url, tmp_path_factory):
    """Enrollment, claims and notifications in this process, served over HTTP, and a console
    of this module's own (its schema and consumer groups start empty)."""
    async with (
        pipeline(kafka_bootstrap, database_url, tmp_path_factory.mktemp("console")) as p,
        served(p.enrollment.app) as enrollment_url,
        served(p.claims.app) as claims_url,
        served(p.notifications.app) as notifications_url,
        console(
            kafka_bootstrap,
            database_url,
            claims_url=claims_url,
            enrollment_url=enrollment_url,
            notifications_url=notifications_url,
            name=f"console_{uuid.uuid4().hex[:8]}",
        ) as c,
    ):
        yield p, c


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    producer = EventProducer(kafka_bootstrap, client_id="test-console")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture(scope="module")
async def paid_claim(stack):
    """A JKM claim filed through claims' API, approved by the rules, its payout recorded and
    both heirs told (four messages)."""
    p, _console = stack
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[SPOUSE, CHILD]
    )
    filed = await p.claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "payout_recorded", timeout=60)

    async def families_told() -> bool:
        rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
        return len(rows) == 4 and all(r["status"] == "delivered" for r in rows)

    await wait_until(families_told, 60, "four messages delivered (filed and payout, two heirs)")
    return participant_id, claim_id


async def trace_of(client: httpx.AsyncClient, correlation_id: str) -> dict:
    answer = await client.get(f"/v1/trace/{correlation_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- the index and the trace -----------------------------------------------------------------------------


async def test_every_event_of_a_claim_is_indexed_where_kafka_has_it_and_traced_in_time_order(
    stack, paid_claim, kafka_bootstrap
):
    _p, c = stack
    participant_id, claim_id = paid_claim
    async with c.client("operator") as operator:

        async def all_indexed() -> bool:
            # Eight events of the claim's own flow, and disbursement's (one per cash line received).
            found = (await trace_of(operator, claim_id))["events"]
            return len([e for e in found if e["type"] != "TransferStatusChanged"]) == 8 and any(
                e["type"] == "TransferStatusChanged" for e in found
            )

        await wait_until(all_indexed, 30, "the claim's eight events in the console's index")
        trace = await trace_of(operator, claim_id)

    events = trace["events"]
    assert sorted(e["type"] for e in events if e["type"] != "TransferStatusChanged") == sorted(
        ["ClaimFiled", "ClaimApproved", "PayoutRecorded", "DeathConfirmed"] + ["NotificationDelivered"] * 4
    )
    assert [e["occurred_at"] for e in events] == sorted(e["occurred_at"] for e in events)
    assert {(e["type"], e["producer"]) for e in events} >= {
        ("ClaimFiled", "claims"),
        ("NotificationDelivered", "notifications"),
    }
    # Where the index says each event sits is where Kafka has it.
    for topic in {e["topic"] for e in events}:
        on_kafka = {
            (r.partition, r.offset, json.loads(r.value)["event_id"])
            for r in await read_all(kafka_bootstrap, topic)
            if r.key == claim_id.encode()
        }
        indexed = {(e["partition"], e["offset"], e["event_id"]) for e in events if e["topic"] == topic}
        assert indexed == on_kafka

    steps = trace["claims"][claim_id]["steps"]
    assert [s["step"] for s in steps if s["step"] != "family_notified" and not s["step"].startswith("transfer_")] == [
        "filed",
        "verified",
        "payout_recorded",
    ]
    assert all(s["since_previous_s"] is not None and s["since_previous_s"] >= 0 for s in steps[1:])
    assert {s["detail"]["about"] for s in steps if s["step"] == "family_notified"} == {"ClaimFiled", "PayoutRecorded"}
    assert NIK not in json.dumps(trace)  # ClaimFiled carried KTP numbers: the index kept only their kinds
    # One OpenTelemetry trace from the filing request to the family's messages (docs/observability.md);
    # no viewer URL template is configured here, so no link.
    (trace_id,) = trace["claims"][claim_id]["trace_ids"]
    assert len(trace_id) == 32 and int(trace_id, 16) != 0
    assert trace["claims"][claim_id]["trace_urls"] == []

    # Each topic has its own index consumer group: the enrolment topic's may still be catching
    # up when the claim's are done (a fresh-clone CI run caught it so), hence the wait.
    wanted = {"ParticipantEnrolled", "CoverageChanged", "ClaimFiled", "NotificationDelivered"}
    async with c.client("supervisor") as supervisor:

        async def participant_indexed() -> bool:
            return {e["type"] for e in (await trace_of(supervisor, participant_id))["events"]} >= wanted

        await wait_until(participant_indexed, 30, "the participant's events in the console's index")
        by_participant = await trace_of(supervisor, participant_id)
    assert {e["type"] for e in by_participant["events"]} >= wanted


async def test_a_recorded_but_unpaid_claim_is_stuck_waiting_for_the_transfer_and_on_its_payment_clock(
    stack, paid_claim
):
    p, c = stack
    _participant_id, claim_id = paid_claim
    async with c.client("supervisor") as supervisor:
        stuck = (await supervisor.get("/v1/stuck", params={"older_than_s": 0})).json()
        assert {"claim_id": claim_id, "waiting_for": "disbursement", "status": "payout_recorded"}.items() <= next(
            x for x in stuck["claims"] if x["claim_id"] == claim_id
        ).items()
        assert claim_id not in {x["claim_id"] for x in (await supervisor.get("/v1/stuck")).json()["claims"]}
        sla = (await supervisor.get("/v1/sla", params={"all": True})).json()["claims"]
    mine = next(x for x in sla if x["claim_id"] == claim_id)
    claims_view = (await p.claims.get(f"/v1/claims/{claim_id}")).json()["sla"]
    # The console reads the payment clock from the events; claims keeps its own: they agree.
    assert mine["documents_complete_on"] == claims_view["documents_complete_on"]
    assert mine["deadline"] == claims_view["deadline"]
    assert mine["days_left"] == claims_view["days_left"]


# --- lag ---------------------------------------------------------------------------------------------------


async def kafka_consumer_groups(bootstrap: str, group: str) -> dict[tuple[str, int], int | None]:
    """What Apache Kafka's own `kafka-consumer-groups --describe` reports: lag per partition."""
    process = await asyncio.create_subprocess_exec(
        "java",
        "-cp",
        str(REPO / ".jaring" / "kafka" / "libs" / "*"),
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        "--bootstrap-server",
        bootstrap,
        "--describe",
        "--group",
        group,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    lags: dict[tuple[str, int], int | None] = {}
    for line in out.decode().splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[0] == group and fields[2].isdigit():
            lags[(fields[1], int(fields[2]))] = int(fields[5]) if fields[5].isdigit() else None
    assert lags, f"kafka-consumer-groups said:\n{out.decode()}"
    return lags


async def test_lag_in_flows_is_what_kafka_consumer_groups_reports(stack, paid_claim, kafka_bootstrap, unique):
    _p, c = stack
    # A group that read nothing yet: it committed offset 0 everywhere, so its lag is the whole topic.
    behind = f"test-console-behind-{unique}"
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=behind, enable_auto_commit=False)
    await reader.start()
    try:
        ends = await end_offsets(kafka_bootstrap, CLAIMS_FILED.name)
        reader.assign([TopicPartition(CLAIMS_FILED.name, p) for p in ends])
        await reader.commit({TopicPartition(CLAIMS_FILED.name, p): 0 for p in ends})
    finally:
        await reader.stop()
    # Services commit their offsets at most once a second (docs/operations.md), so a live group is
    # compared only once it has committed everything it read: else the two readings race that commit.
    live = {"claims.verification": CLAIMS_FILED.name, f"{c.name}.index.{PARTICIPANTS.name}": PARTICIPANTS.name}
    for group, topic in live.items():
        await wait_until(functools.partial(group_caught_up, kafka_bootstrap, group, topic), 30, f"{group} caught up")

    async with c.client("operator") as operator:

        async def flows_has(group: str) -> bool:
            return any(g["group_id"] == group for g in (await operator.get("/v1/flows")).json()["groups"])

        await wait_until(lambda: flows_has(behind), 10, f"{behind} in /v1/flows")
        flows = (await operator.get("/v1/flows")).json()

    topics = {t["name"]: t for t in flows["topics"]}
    assert set(topics) >= {PARTICIPANTS.name, PARTICIPANTS.dlq, CLAIMS_FILED.name}
    assert topics[CLAIMS_FILED.name]["end_offset"] == sum(ends.values())
    assert topics[CLAIMS_FILED.name]["rate_15m"] > 0  # this module filed a claim minutes ago at most
    for group in (behind, *live):
        reported = next(g for g in flows["groups"] if g["group_id"] == group)
        ours = {(t["topic"], p["partition"]): p["lag"] for t in reported["lag"] for p in t["partitions"]}
        theirs = {k: v for k, v in (await kafka_consumer_groups(kafka_bootstrap, group)).items() if v is not None}
        assert ours == theirs, group
        assert reported["total_lag"] == sum(theirs.values())
    assert next(g for g in flows["groups"] if g["group_id"] == behind)["total_lag"] == sum(ends.values()) > 0


# --- dead letters ------------------------------------------------------------------------------------------


async def dead_letters(client: httpx.AsyncClient, topic: str, status: str = "waiting") -> list[dict]:
    answer = await client.get(f"/v1/dlq/{topic}", params={"status": status})
    assert answer.status_code == 200, answer.text
    return answer.json()["messages"]


async def test_a_poison_message_is_listed_with_its_nik_masked_and_discarding_it_is_audited(stack, producer, unique):
    _p, c = stack
    key = f"CL-poison-{unique}"
    await producer.send_all([OutgoingRecord(CLAIMS_FILED.name, key, f"ktp {NIK}, not JSON".encode(), [])])
    async with c.client("operator", "rudi.operator") as operator:

        async def copies() -> list[dict]:
            return [m for m in await dead_letters(operator, CLAIMS_FILED.dlq) if m["key"] == key]

        # Each consumer group of the services reading the topic dead-lettered it; the console, an
        # observer, did not.
        readers = {
            c.name
            for client in (_p.claims, _p.notifications)
            for c in client.app.state.runtime.consumers
            if CLAIMS_FILED in c.topics
        }
        assert {"claims.verification", "notifications.claims"} <= readers
        await wait_until(lambda: _has(copies, len(readers)), 30, "a dead-letter copy of the poison from each reader")
        found = await copies()
        assert {m["consumer"] for m in found} == readers
        assert all(m["reason"].startswith("not a Jaring envelope") for m in found)
        assert all(NIK not in m["payload"] and "7371************" in m["payload"] for m in found)
        overview = (await operator.get("/v1/dlq")).json()["topics"]
        assert next(t for t in overview if t["name"] == CLAIMS_FILED.dlq)["count"] >= 2

        first = found[0]
        where = f"/v1/dlq/{CLAIMS_FILED.dlq}/{first['partition']}/{first['offset']}"
        blank = await operator.post(f"{where}/discard", json={"reason": "  "})
        assert blank.status_code == 422 and blank.json()["errors"][0]["loc"] == ["body", "reason"]
        async with c.client("officer") as officer:
            assert (await officer.post(f"{where}/discard", json={"reason": "not mine"})).status_code == 403
        done = await operator.post(f"{where}/discard", json={"reason": "test bytes from a broken script"})
        assert done.status_code == 200, done.text
        # One record, dead-lettered once by each reader, discarded once.
        assert len(done.json()["discarded"]) == len(readers)
        assert await copies() == []
        again = await operator.post(f"{where}/discard", json={"reason": "twice"})
        assert again.status_code == 409

    audit = await c.pool.fetch(
        "SELECT actor, role, action, details FROM audit_log WHERE action = 'dlq.discard' "
        "AND details->>'reason' = 'test bytes from a broken script'"
    )
    assert [(a["actor"], a["role"]) for a in audit] == [("rudi.operator", "operator")]
    assert len(audit[0]["details"]["copies"]) == len(readers)


async def _has(fetch, n: int) -> bool:
    return len(await fetch()) >= n


async def test_replaying_a_message_already_applied_has_no_second_effect(stack, producer, kafka_bootstrap, unique):
    p, c = stack
    claim_id = f"CL-replay-{unique}"
    delivered = new_envelope(
        NotificationDelivered(
            notification_id=f"N-{unique}",
            claim_id=claim_id,
            heir_id="H-1",
            channel="whatsapp",
            about_event="ClaimFiled",
            attempts=1,
        ),
        correlation_id=claim_id,
        producer="notifications",
    )
    headers = delivered.kafka_headers()
    await producer.send_all([OutgoingRecord(DELIVERIES.name, claim_id, delivered.to_bytes(), headers)])
    claims_pool = p.claims.app.state.runtime.pool

    async def timeline_steps() -> int:
        return await claims_pool.fetchval("SELECT count(*) FROM claim_steps WHERE claim_id = $1", claim_id)

    await wait_until(lambda: _equals(timeline_steps, 1), 30, "claims' timeline to apply the delivery")
    # As if one consumer had dead-lettered the record after another had applied it.
    original = next(r for r in await read_all(kafka_bootstrap, DELIVERIES.name) if r.key == claim_id.encode())
    await producer.send_all(
        [
            OutgoingRecord(
                DELIVERIES.dlq,
                claim_id,
                original.value,
                [
                    *original.headers,
                    ("dlq_reason", b"failed after 3 attempts: TimeoutError()"),
                    ("dlq_consumer", b"some.consumer"),
                    ("dlq_original_topic", DELIVERIES.name.encode()),
                    ("dlq_original_partition", str(original.partition).encode()),
                    ("dlq_original_offset", str(original.offset).encode()),
                    ("dlq_at", b"2026-11-24T02:00:00+00:00"),
                ],
            )
        ]
    )

    async with c.client("operator", "rudi.operator") as operator:

        async def waiting() -> list[dict]:
            return [m for m in await dead_letters(operator, DELIVERIES.dlq) if m["key"] == claim_id]

        await wait_until(lambda: _has(waiting, 1), 30, "the dead letter in the console")
        [letter] = await waiting()
        assert (letter["original_topic"], letter["original_offset"]) == (DELIVERIES.name, original.offset)
        replayed = await operator.post(f"/v1/dlq/{DELIVERIES.dlq}/{letter['partition']}/{letter['offset']}/replay")
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["to_topic"] == DELIVERIES.name
        again = await operator.post(f"/v1/dlq/{DELIVERIES.dlq}/{letter['partition']}/{letter['offset']}/replay")
        assert again.status_code == 409

        # The record is on its topic again, bytes and original headers as first published.
        copies = [r for r in await read_all(kafka_bootstrap, DELIVERIES.name) if r.key == claim_id.encode()]
        assert len(copies) == 2 and copies[1].value == original.value
        assert list(copies[1].headers) == list(original.headers)
        await wait_until(
            lambda: group_caught_up(kafka_bootstrap, "claims.timeline", DELIVERIES.name),
            30,
            "claims' timeline to read the replayed record",
        )
        await c.wait_caught_up()
        assert await timeline_steps() == 1  # the inbox knew the event: no second step
        assert [e["type"] for e in (await trace_of(operator, claim_id))["events"]] == ["NotificationDelivered"]
        assert [
            m["status"] for m in await dead_letters(operator, DELIVERIES.dlq, "replayed") if m["key"] == claim_id
        ] == ["replayed"]

    audit = await c.pool.fetchrow(
        "SELECT actor, action, subject_id, details FROM audit_log WHERE action = 'dlq.replay' "
        "AND details->>'event_id' = $1",
        str(delivered.event_id),
    )
    assert audit["actor"] == "rudi.operator"
    assert audit["details"]["original"] == f"{DELIVERIES.name}/{original.partition}/{original.offset}"


async def _equals(fetch, value) -> bool:
    return await fetch() == value


async def test_replay_all_sends_each_record_once_even_when_several_consumers_dead_lettered_it(
    stack, producer, kafka_bootstrap, unique
):
    _p, c = stack
    claims = [f"CL-all-{unique}-{n}" for n in (1, 2)]
    for claim_id in claims:
        delivered = new_envelope(
            NotificationDelivered(
                notification_id=f"N-{claim_id}",
                claim_id=claim_id,
                heir_id="H-1",
                channel="email",
                about_event="ClaimFiled",
                attempts=1,
            ),
            correlation_id=claim_id,
            producer="notifications",
        )
        await producer.send_all(
            [OutgoingRecord(DELIVERIES.name, claim_id, delivered.to_bytes(), delivered.kafka_headers())]
        )
    originals = {
        r.key.decode(): r for r in await read_all(kafka_bootstrap, DELIVERIES.name) if r.key.decode() in claims
    }
    # The first record was dead-lettered by two consumers, the second by one.
    for claim_id, consumers in zip(claims, (("one.consumer", "another.consumer"), ("one.consumer",))):
        record = originals[claim_id]
        for consumer in consumers:
            await producer.send_all(
                [
                    OutgoingRecord(
                        DELIVERIES.dlq,
                        claim_id,
                        record.value,
                        [
                            *record.headers,
                            ("dlq_reason", b"failed after 3 attempts"),
                            ("dlq_consumer", consumer.encode()),
                            ("dlq_original_topic", DELIVERIES.name.encode()),
                            ("dlq_original_partition", str(record.partition).encode()),
                            ("dlq_original_offset", str(record.offset).encode()),
                        ],
                    )
                ]
            )
    async with c.client("operator") as operator:

        async def mine(status: str = "waiting") -> list[dict]:
            return [m for m in await dead_letters(operator, DELIVERIES.dlq, status) if m["key"] in claims]

        await wait_until(lambda: _has(mine, 3), 30, "three dead letters of two records")
        answer = await operator.post(f"/v1/dlq/{DELIVERIES.dlq}/replay-all")
        assert answer.status_code == 200, answer.text
        replays = [
            r
            for r in answer.json()["replayed"]
            if r["event_id"] in {json.loads(originals[cid].value)["event_id"] for cid in claims}
        ]
        assert sorted(len(r["replayed"]) for r in replays) == [1, 2]  # two sends: one per record
        assert await mine() == [] and len(await mine("replayed")) == 3
    sent_again = [r for r in await read_all(kafka_bootstrap, DELIVERIES.name) if r.key.decode() in claims]
    assert len(sent_again) == 4  # each record once at first, once replayed


async def test_a_letter_dead_lettered_again_after_its_replay_links_to_its_earlier_attempt_and_replay_all_asks(
    stack, producer, kafka_bootstrap, unique
):
    _p, c = stack
    claim_id = f"CL-again-{unique}"
    delivered = new_envelope(
        NotificationDelivered(
            notification_id=f"N-{unique}",
            claim_id=claim_id,
            heir_id="H-1",
            channel="sms",
            about_event="ClaimFiled",
            attempts=1,
        ),
        correlation_id=claim_id,
        producer="notifications",
    )
    await producer.send_all(
        [OutgoingRecord(DELIVERIES.name, claim_id, delivered.to_bytes(), delivered.kafka_headers())]
    )

    async def dead_letter_the_latest_copy() -> None:
        record = [r for r in await read_all(kafka_bootstrap, DELIVERIES.name) if r.key == claim_id.encode()][-1]
        await producer.send_all(
            [
                OutgoingRecord(
                    DELIVERIES.dlq,
                    claim_id,
                    record.value,
                    [
                        *record.headers,
                        ("dlq_reason", b"failed after 3 attempts"),
                        ("dlq_consumer", b"some.consumer"),
                        ("dlq_original_topic", DELIVERIES.name.encode()),
                        ("dlq_original_partition", str(record.partition).encode()),
                        ("dlq_original_offset", str(record.offset).encode()),
                    ],
                )
            ]
        )

    await dead_letter_the_latest_copy()
    async with c.client("operator", "rudi.operator") as operator:

        async def letters(status: str = "waiting") -> list[dict]:
            return [m for m in await dead_letters(operator, DELIVERIES.dlq, status) if m["key"] == claim_id]

        await wait_until(lambda: _has(letters, 1), 30, "the first dead letter")
        [first] = await letters()
        replayed = await operator.post(f"/v1/dlq/{DELIVERIES.dlq}/{first['partition']}/{first['offset']}/replay")
        assert replayed.status_code == 200, replayed.text
        # The replayed copy fails again.
        await wait_until(lambda: _has(lambda: _copies(kafka_bootstrap, claim_id), 2), 30, "the replayed copy")
        await dead_letter_the_latest_copy()
        await wait_until(lambda: _has(letters, 1), 30, "the second dead letter")

    async with signed_in(c, "operator", "rudi.operator") as browser:
        page = (await browser.get(f"/dlq/{DELIVERIES.dlq}")).text
        [second] = [card for card in page.split('<article class="card letter"')[1:] if claim_id in card]
        assert "Earlier attempts" in second
        assert f'href="/dlq/{DELIVERIES.dlq}?status=replayed#L-{first["partition"]}-{first["offset"]}"' in second
        # Replay-all names its count and is refused when the count confirmed is not what waits now.
        waiting = int(re.search(r'name="expected" value="(\d+)"', page).group(1))
        assert f"Yes, replay {waiting} messages" in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        stale = await browser.post(f"/dlq/{DELIVERIES.dlq}/replay-all", data={"csrf": csrf, "expected": waiting + 1})
        assert stale.status_code == 303 and "changed" in stale.headers["location"]
        async with c.client("operator") as operator:
            assert len(await dead_letters(operator, DELIVERIES.dlq, "waiting")) >= 1  # nothing was replayed


async def _copies(kafka_bootstrap: str, claim_id: str) -> list:
    return [r for r in await read_all(kafka_bootstrap, DELIVERIES.name) if r.key == claim_id.encode()]


# --- a rebuild from scratch ------------------------------------------------------------------------------


async def test_a_console_started_from_scratch_rebuilds_the_same_trace_from_the_topics(
    stack, paid_claim, kafka_bootstrap, database_url
):
    _p, first = stack
    _participant_id, claim_id = paid_claim
    await first.wait_caught_up()
    async with first.client() as operator:
        before = await trace_of(operator, claim_id)
        dlq_before = (await operator.get("/v1/dlq")).json()
    # A new schema and new consumer groups: nothing but the topics to start from.
    async with console(kafka_bootstrap, database_url, name=f"console_{uuid.uuid4().hex[:8]}") as fresh:
        await fresh.wait_caught_up(timeout=120)
        async with fresh.client() as operator:
            after = await trace_of(operator, claim_id)
            dlq_after = (await operator.get("/v1/dlq")).json()
    assert after == before
    # Every dead letter is there again — as waiting: what operators did about them is the
    # console's own record (its audit log), not something the topics hold.
    assert sum(t["count"] + t["replayed"] + t["discarded"] for t in dlq_before["topics"]) == sum(
        t["count"] for t in dlq_after["topics"]
    )


# --- who may do what ------------------------------------------------------------------------------------


async def test_each_role_reaches_only_its_own_api(stack):
    _p, c = stack
    async with httpx.AsyncClient(base_url=c.url) as anonymous:
        assert (await anonymous.get("/v1/flows")).status_code == 401
        assert (await anonymous.get("/flows", follow_redirects=False)).headers["location"] == "/signin?next=/flows"
    async with c.client("officer") as officer:
        for path in ("/v1/flows", "/v1/dlq", f"/v1/dlq/{CLAIMS_FILED.dlq}", "/v1/stuck", "/v1/sla"):
            assert (await officer.get(path)).status_code == 403, path
        assert (await officer.post(f"/v1/dlq/{CLAIMS_FILED.dlq}/0/0/replay")).status_code == 403
        assert (await officer.get("/v1/trace/CL-none")).status_code == 200
    async with c.client("supervisor") as supervisor:
        assert (await supervisor.get("/v1/dlq")).status_code == 403
        assert (await supervisor.get("/v1/stuck")).status_code == 200
    async with c.client("operator") as operator:
        assert (await operator.get("/v1/dlq/not-a-dlq")).status_code == 404


async def test_a_signed_in_page_session_is_an_httponly_strict_cookie_and_its_forms_need_the_csrf_token(stack):
    _p, c = stack
    async with httpx.AsyncClient(base_url=c.url) as browser:
        form = await browser.get("/signin")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
        bad = await browser.post("/signin", data={"token": "not-a-token", "nonce": nonce})
        assert bad.status_code == 401
        nonce = re.search(r'name="nonce" value="([^"]+)"', bad.text).group(1)
        signed = await browser.post(
            "/signin",
            data={"token": token("operator", "rudi.operator"), "nonce": nonce, "next": "https://elsewhere.example/"},
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/flows"
        cookie = signed.headers["set-cookie"]
        assert "jaring_console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        # Signed in by cookie: reading works, a POST without the CSRF token does not.
        assert (await browser.get("/v1/dlq")).status_code == 200
        assert (await browser.post(f"/v1/dlq/{CLAIMS_FILED.dlq}/0/0/replay")).status_code == 403
        page = await browser.post(f"/dlq/{CLAIMS_FILED.dlq}/0/0/discard", data={"reason": "x", "csrf": "forged"})
        assert page.status_code == 403
        # An operator may not decide claims, even with the right form.
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await browser.get("/flows")).text).group(1)
        decided = await browser.post(
            "/review/CL-any/decision", data={"csrf": csrf, "decision": "approve", "reason": "looks fine"}
        )
        assert decided.status_code == 403 and "operator" in decided.text


@contextlib.asynccontextmanager
async def signed_in(c, role: str, subject: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in to the console with a role token (its cookie set), in English."""
    async with httpx.AsyncClient(base_url=c.url, timeout=30, cookies={"jaring_console_lang": "en"}) as browser:
        form = await browser.get("/signin")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
        signed = await browser.post("/signin", data={"token": token(role, subject), "nonce": nonce})
        assert signed.status_code == 303, signed.text
        yield browser


async def test_the_cookie_holds_a_server_side_session_id_and_signing_out_ends_the_session(stack):
    _p, c = stack
    bearer = token("operator", "rudi.operator")
    async with httpx.AsyncClient(base_url=c.url, timeout=30) as browser:
        form = await browser.get("/signin")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
        signed = await browser.post("/signin", data={"token": bearer, "nonce": nonce})
        assert signed.status_code == 303
        session_id = browser.cookies["jaring_console"]
        # The cookie is a random id, not the bearer token nor any part of it.
        assert session_id != bearer and session_id not in bearer and bearer.split(".")[1] not in session_id
        row = await c.pool.fetchrow(
            "SELECT subject, role, token, expires_at - created_at AS lasts FROM sessions WHERE id_hash = $1",
            hashlib.sha256(session_id.encode()).digest(),
        )
        assert (row["subject"], row["role"], row["token"]) == ("rudi.operator", "operator", bearer)
        assert row["lasts"].total_seconds() <= 8 * 3600  # no longer than the token (one shift)
        assert not await c.pool.fetchval(
            "SELECT count(*) FROM sessions WHERE token = $1 AND id_hash = $2", bearer, session_id.encode()
        ), "the id itself is not stored, only its hash"
        assert (await browser.get("/v1/dlq")).status_code == 200

        csrf = re.search(r'name="csrf" value="([^"]+)"', (await browser.get("/flows")).text).group(1)
        out = await browser.post("/signout", data={"csrf": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/signin"
        assert (
            await c.pool.fetchval(
                "SELECT count(*) FROM sessions WHERE id_hash = $1", hashlib.sha256(session_id.encode()).digest()
            )
            == 0
        )

    # Someone who kept a copy of the cookie: it no longer opens anything.
    async with httpx.AsyncClient(base_url=c.url, cookies={"jaring_console": session_id}, timeout=30) as copy:
        assert (await copy.get("/v1/dlq")).status_code == 401
        page = await copy.get("/flows", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/signin")


async def test_a_session_ends_when_its_time_is_up(stack):
    _p, c = stack
    async with signed_in(c, "operator", "rudi.operator") as browser:
        assert (await browser.get("/v1/dlq")).status_code == 200
        id_hash = hashlib.sha256(browser.cookies["jaring_console"].encode()).digest()
        # As if the token's eight hours had passed.
        await c.pool.execute("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1", id_hash)
        assert (await browser.get("/v1/dlq")).status_code == 401
        page = await browser.get("/flows", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/signin")


async def test_a_forged_session_cookie_opens_nothing(stack):
    _p, c = stack
    async with httpx.AsyncClient(
        base_url=c.url, timeout=30, cookies={"jaring_console": token("operator", "rudi.operator")}
    ) as forged:
        # The bearer token itself in the cookie is not a session: the cookie is only ever an id.
        assert (await forged.get("/v1/dlq")).status_code == 401


async def test_the_review_queue_counts_claims_referred_by_the_fraud_controls(stack):
    p, c = stack
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[SPOUSE], monthly_income=3_000_000
    )
    documents = {
        **{k: v for k, v in JKK_DOCUMENTS.items() if k != "ktp"},
        **JKM_DEATH_DOCUMENTS,
        **MARRIAGE_BOOK,
        **NPWP,
    }
    filed = await p.claims.post("/v1/claims", json=claim_form(participant_id, "JKK_DEATH", today, documents))
    claim_id = filed.json()["claim_id"]
    # 48 x 3,000,000 + 10,000,000 + 12,000,000 = 166,000,000: above the Rp 100,000,000 threshold.
    await wait_for_status(p.claims, claim_id, "needs_review")
    waiting = (await p.claims.get("/v1/claims", params={"status": "needs_review"})).json()
    expected = sum(1 for x in waiting if x["sampled"])
    assert expected >= 1

    async with signed_in(c, "supervisor", "rahma.supervisor") as browser:
        page = await browser.get("/review")
        assert page.status_code == 200
        assert f'data-sampled="{expected}"' in page.text
        assert f"{expected} of the {len(waiting)} claims waiting were referred by the fraud controls" in page.text
        card = page.text.split(f'data-claim="{claim_id}"')[1].split("</article>")[0]
        assert "ABOVE_REVIEW_THRESHOLD" in card and 'class="badge sampled"' in card


async def test_the_supervisor_who_filed_a_claim_is_told_why_they_cannot_decide_it(stack):
    p, c = stack
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -1), heirs=[SPOUSE]
    )
    filed = await p.claims.post(
        "/v1/claims",
        json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}),
        headers=auth("supervisor", "sari.supervisor"),
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "needs_review")
    async with signed_in(c, "supervisor", "sari.supervisor") as browser:
        queue = await browser.get("/review")
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue.text).group(1)
        refused = await browser.post(
            f"/review/{claim_id}/decision", data={"csrf": csrf, "decision": "approve", "reason": "checked"}
        )
        assert refused.status_code == 403
        card = refused.text.split(f'data-claim="{claim_id}"')[1].split("</article>")[0]
        assert "You filed this claim, so another supervisor must decide it." in card
    assert (await p.claims.get(f"/v1/claims/{claim_id}")).json()["status"] == "needs_review"


async def test_the_filing_form_confirmed_twice_files_one_claim(stack):
    """A confirm sent again (a double click, a retry when no answer came) carries the form's
    Idempotency-Key: the officer is taken to the claim the first made, not told of a conflict,
    and no second claim is filed."""
    p, c = stack
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
    )
    documents = {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}
    async with signed_in(c, "officer", "andi.officer") as browser:
        page = (await browser.get("/claims/new")).text
        fields = {
            "csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1),
            "filing_key": re.search(r'name="filing_key" value="([^"]+)"', page).group(1),
            "participant_id": participant_id,
            "claim_type": "JKM",
            "incident_date": today.isoformat(),
            "incident_place": "Pasar Terong, Bontoala",
            "cause": "serangan jantung",
            "reporter_name": "Andi Baso",
            "reporter_phone": "+6281342001111",
            **{f"doc_{kind}": "on" for kind in documents},
            **{f"docnum_{kind}": number for kind, number in documents.items()},
        }
        first = await browser.post("/claims/new", data=fields)
        again = await browser.post("/claims/new", data=fields)

    assert first.status_code == 303, first.text
    assert again.status_code == 303, again.text
    assert again.headers["location"].split("?")[0] == first.headers["location"].split("?")[0]
    listed = (await p.claims.get("/v1/claims", params={"participant_id": participant_id})).json()
    assert [f"/claims/{claim['claim_id']}" for claim in listed] == [first.headers["location"].split("?")[0]]

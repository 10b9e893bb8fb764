"""Set-based handlers (shared.consuming.Batched) on the real broker and database: a batch's fresh
records of one type go to one call, in order, a key at most once a call; duplicates are skipped;
every record keeps its own span; a failure or a wait falls back to one record at a time, as for
any handler, and a wait that names its keys (or a key with parked messages) only for those keys'
records (issue 17)."""

from __future__ import annotations

from datetime import date

import pytest
from faststream.kafka import KafkaBroker

from shared.consuming import Batched, Consumer, ConsumerRunner, NotYet, PoisonMessage, current_record, subscribe
from shared.contracts.enrollment import CoverageChanged
from shared.db import apply_migrations, create_pool
from shared.envelope import Envelope, new_envelope
from shared.kafka import EventProducer, OutgoingRecord, ensure_topics
from shared.topics import Topic
from shared.tracing import configure_tracing, current_trace_id, trace_id_of
from tests.support.kafka_tools import (
    contribution_paid,
    end_offsets,
    group_caught_up,
    keys_handled_alone,
    read_all,
    wait_until,
)

pytestmark = pytest.mark.integration

CURSED = 13  # a contribution of this amount is poison
WAITS = 7  # a contribution of this amount waits for its participant's coverage


class Scene:
    """A topic of contributions (a set-based handler) and coverage (a handler one record at a time)."""

    def __init__(self, database_url: str, bootstrap: str, unique: str, partitions: int = 1, names_keys: bool = False):
        self.database_url, self.bootstrap, self.partitions = database_url, bootstrap, partitions
        self.names_keys = names_keys  # the handler's NotYet names the keys that wait
        self.schema = f"batched_{unique}"
        self.topic = Topic(
            f"test.batched.{unique}.v1", "participant_id", ("ContributionRecorded", "CoverageChanged"), producer="test"
        )
        self.group = f"test-batched-{unique}"
        self.calls: list[list[str]] = []  # what each handler call received, in the order of the calls
        self.current: list[str | None] = []  # current_record's key during each call
        self.sent: dict[str, str] = {}  # contribution id -> the trace id it was sent in

    async def __aenter__(self) -> Scene:
        await apply_migrations(self.database_url, self.schema, None)
        self.pool = await create_pool(self.database_url, self.schema)
        # No unique key of its own: only the inbox keeps an effect from doubling.
        await self.pool.execute(
            "CREATE TABLE effects (n bigserial, participant_id text, contribution_id text, trace_id text)"
        )
        await self.pool.execute("CREATE TABLE covered (participant_id text PRIMARY KEY)")
        await ensure_topics(self.bootstrap, [self.topic], partitions=self.partitions)
        self.producer = EventProducer(self.bootstrap, client_id="test-batched")
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()
        await self.pool.close()

    async def contributions(self, conn, deliveries) -> None:
        self.calls.append([event.contribution_id for _, event, _ in deliveries])
        record = current_record.get()
        self.current.append(record.key.decode() if record is not None else None)
        for _, event, _ in deliveries:
            if event.amount == CURSED:
                raise PoisonMessage(f"contribution {event.contribution_id} is cursed")
        waiting = [event.participant_id for _, event, _ in deliveries if event.amount == WAITS]
        if waiting:
            known = {r["participant_id"] for r in await conn.fetch("SELECT participant_id FROM covered")}
            if unknown := set(waiting) - known:
                raise NotYet(
                    f"no coverage yet for {sorted(unknown)}",
                    waiting_for=("CoverageChanged",),
                    keys=unknown if self.names_keys else (),
                )
        # One statement for the whole call; each effect notes the trace it was applied in.
        await conn.execute(
            "INSERT INTO effects (participant_id, contribution_id, trace_id) SELECT p, c, t FROM unnest($1::text[], "
            "$2::text[], $3::text[]) WITH ORDINALITY AS u(p, c, t, n) ORDER BY n",
            [event.participant_id for _, event, _ in deliveries],
            [event.contribution_id for _, event, _ in deliveries],
            # A record applied alone runs in its own span, the current one; together, each has its traceparent.
            [trace_id_of(traceparent) if traceparent else current_trace_id() for _, _, traceparent in deliveries],
        )

    async def coverage(self, conn, _envelope, event) -> None:
        self.calls.append([f"coverage {event.participant_id}"])
        await conn.execute("INSERT INTO covered VALUES ($1) ON CONFLICT DO NOTHING", event.participant_id)

    def consumer(self, batch_size: int = 50) -> Consumer:
        return Consumer(
            self.group,
            (self.topic,),
            {"ContributionRecorded": Batched(self.contributions), "CoverageChanged": self.coverage},
            max_attempts=2,
            backoff_seconds=0.01,
            batch_size=batch_size,
        )

    def contribution(self, contribution_id: str, participant_id: str, amount: int = 16_800) -> Envelope:
        return contribution_paid(contribution_id, participant_id, amount)

    def covers(self, participant_id: str) -> Envelope:
        payload = CoverageChanged(participant_id=participant_id, status="active", as_of=date(2026, 11, 1))
        return new_envelope(payload, correlation_id=participant_id, producer="test")

    async def send(self, *envelopes: Envelope) -> None:
        records = []
        for envelope in envelopes:
            key = envelope.payload["participant_id"]
            headers = list(envelope.kafka_headers())
            if envelope.type == "ContributionRecorded":
                trace_id = envelope.event_id.hex  # 32 hex digits: a trace of its own
                self.sent[envelope.payload["contribution_id"]] = trace_id
                headers.append(("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01".encode()))
            records.append(OutgoingRecord(self.topic.name, key, envelope.to_bytes(), headers))
        await self.producer.send_all(records)

    async def records(self) -> dict[str, object]:
        """The topic's records, by contribution id (or "coverage P…")."""
        found = {}
        for record in await read_all(self.bootstrap, self.topic.name):
            text = record.value.decode()
            name = next((c for c in self.sent if f'"{c}"' in text), None)
            found[name or f"coverage {record.key.decode()}"] = record
        return found

    async def effects(self) -> list[tuple[str, str, str]]:
        rows = await self.pool.fetch("SELECT participant_id, contribution_id, trace_id FROM effects ORDER BY n")
        return [(r["participant_id"], r["contribution_id"], r["trace_id"]) for r in rows]

    async def parked(self) -> list[str]:
        rows = await self.pool.fetch("SELECT key FROM waiting ORDER BY id")
        return [r["key"] for r in rows]

    async def dead_letters(self) -> int:
        return sum((await end_offsets(self.bootstrap, self.topic.dlq)).values())


async def test_a_batchs_fresh_records_of_one_type_go_to_one_call_in_order_a_key_once_each_in_its_own_trace(
    database_url, kafka_bootstrap, unique
):
    configure_tracing("test")
    async with Scene(database_url, kafka_bootstrap, unique) as scene:
        await scene.send(
            scene.contribution("C1", "P1"),
            scene.contribution("C2", "P2"),
            scene.contribution("C3", "P3"),
            scene.covers("P3"),
            scene.contribution("C4", "P1"),
            scene.contribution("C5", "P2"),
            scene.contribution("C6", "P2"),
        )
        records = await scene.records()
        consumer = scene.consumer()
        runner = ConsumerRunner(consumer, scene.pool, scene.producer)
        await runner.handle_batch([records["C2"]])  # applied before: its redelivery below is a duplicate
        batch = [records[name] for name in ("C1", "C2", "C3", "C3", "coverage P3", "C4", "C5", "C6")]
        await runner.handle_batch(batch)

        # C2 alone (a list of one), then the batch's fresh records cut where the order needs it: the
        # coverage (another handler) between C3 and C4, P2 twice (C5, C6). C3's second copy is skipped.
        assert scene.calls == [["C2"], ["C1", "C3"], ["coverage P3"], ["C4", "C5"], ["C6"]]
        # A record applied alone is its key's work (the statement budget counts it for its claim);
        # a call of many is nobody's in particular.
        assert scene.current == ["P2", None, None, "P2"]
        effects = await scene.effects()
        assert [(p, c) for p, c, _ in effects] == [
            ("P2", "C2"),
            ("P1", "C1"),
            ("P3", "C3"),
            ("P1", "C4"),
            ("P2", "C5"),
            ("P2", "C6"),
        ]
        # Each record continued the trace it came with, whether applied alone or together.
        assert {c: t for _, c, t in effects} == scene.sent
        # Counted per record: 1 + 6 applied; C2 again and C3's second copy are duplicates.
        assert consumer.stats == {"applied": 1 + 6, "duplicate": 2}
        rows = await scene.pool.fetch("SELECT traceparent FROM inbox WHERE consumer = $1", scene.group)
        assert len(rows) == 7  # six contributions and the coverage, each once


async def test_a_set_handler_that_fails_or_waits_falls_back_to_one_record_at_a_time(
    database_url, kafka_bootstrap, unique
):
    async with Scene(database_url, kafka_bootstrap, unique) as scene:
        await scene.send(
            scene.contribution("C1", "P1"),
            scene.contribution("C2", "P2", amount=CURSED),
            scene.contribution("C3", "P3", amount=WAITS),
            scene.contribution("C4", "P3"),
            scene.contribution("C5", "P1"),
            scene.contribution("C6", "P4"),
            scene.contribution("C7", "P3"),
            scene.covers("P3"),
        )
        records = await scene.records()
        consumer = scene.consumer()
        runner = ConsumerRunner(consumer, scene.pool, scene.producer)
        await runner.handle_batch([records[name] for name in ("C1", "C2", "C3", "C4", "C5")])

        # The first call (C1-C3; C4 would be P3's second) failed and the batch was rolled back; then
        # each record alone: C2 dead-lettered at once, C3 parked for its coverage and C4 behind it
        # (same key, not handled), C1 and C5 applied.
        assert scene.calls == [["C1", "C2", "C3"], ["C1"], ["C2"], ["C3"], ["C5"]]
        assert [(p, c) for p, c, _ in await scene.effects()] == [("P1", "C1"), ("P1", "C5")]
        assert await scene.dead_letters() == 1
        assert await scene.parked() == ["P3", "P3"]

        # A batch holding a key with parked messages goes one record at a time: C7 waits behind C3, C4.
        await runner.handle_batch([records["C6"], records["C7"]])
        assert scene.calls[5:] == [["C6"]]
        assert await scene.parked() == ["P3", "P3", "P3"]

        # The coverage arrives: the key's parked contributions are applied, in order, one at a time.
        await runner.handle_batch([records["coverage P3"]])
        assert scene.calls[6:] == [["coverage P3"], ["C3"], ["C4"], ["C7"]]
        assert await scene.parked() == []
        assert [(p, c) for p, c, _ in await scene.effects()] == [
            ("P1", "C1"),
            ("P1", "C5"),
            ("P4", "C6"),
            ("P3", "C3"),
            ("P3", "C4"),
            ("P3", "C7"),
        ]
        assert consumer.stats == {"applied": 7, "dead_lettered": 1, "parked": 3}


async def test_only_the_keys_that_wait_go_one_record_at_a_time_the_rest_of_the_batch_is_applied_together(
    database_url, kafka_bootstrap, unique
):
    async with Scene(database_url, kafka_bootstrap, unique, names_keys=True) as scene:
        await scene.send(
            scene.contribution("C1", "P1"),
            scene.contribution("C2", "P2"),
            scene.contribution("C3", "P3", amount=WAITS),
            scene.contribution("C4", "P3"),
            scene.contribution("C5", "P4"),
            scene.contribution("C6", "P1"),
            scene.contribution("C7", "P3"),
            scene.contribution("C8", "P5"),
            scene.contribution("C9", "P6"),
            scene.covers("P3"),
        )
        records = await scene.records()
        consumer = scene.consumer()
        runner = ConsumerRunner(consumer, scene.pool, scene.producer)
        alone = keys_handled_alone(runner)
        await runner.handle_batch([records[f"C{n}"] for n in range(1, 7)])

        # The first call (C1-C3) waited, naming P3: rolled back, the batch without P3 applied together
        # (C6 is P1's second, so a call of its own), then P3's records alone: C3 parked, C4 behind it.
        assert scene.calls == [["C1", "C2", "C3"], ["C1", "C2", "C5"], ["C6"], ["C3"]]
        assert alone == ["P3", "P3"]
        assert [(p, c) for p, c, _ in await scene.effects()] == [("P1", "C1"), ("P2", "C2"), ("P4", "C5"), ("P1", "C6")]
        assert await scene.parked() == ["P3", "P3"]

        # A batch holding a key with parked messages: the other keys together, that key's record alone,
        # behind the parked ones.
        await runner.handle_batch([records["C7"], records["C8"], records["C9"]])
        assert scene.calls[4:] == [["C8", "C9"]]
        assert alone[2:] == ["P3"]
        assert await scene.parked() == ["P3", "P3", "P3"]

        # The coverage comes: the parked contributions are applied in order.
        await runner.handle_batch([records["coverage P3"]])
        assert scene.calls[5:] == [["coverage P3"], ["C3"], ["C4"], ["C7"]]
        assert await scene.parked() == []
        assert [c for p, c, _ in await scene.effects() if p == "P3"] == ["C3", "C4", "C7"]
        assert consumer.stats == {"applied": 10, "parked": 3}
        rows = await scene.pool.fetch("SELECT event_id FROM inbox WHERE consumer = $1", scene.group)
        assert len(rows) == 10  # nine contributions and the coverage, each once


async def test_a_set_handler_behind_a_real_subscriber_applies_each_event_once_and_a_redelivery_not_again(
    database_url, kafka_bootstrap, unique
):
    async with Scene(database_url, kafka_bootstrap, unique, partitions=3) as scene:
        sent = [scene.contribution(f"C{n}", f"P{n % 7}") for n in range(40)]
        consumer = scene.consumer()

        async def run_until_caught_up() -> None:
            broker = KafkaBroker(kafka_bootstrap, logger=None)
            subscribe(broker, ConsumerRunner(consumer, scene.pool, scene.producer))
            await broker.start()
            try:
                await wait_until(
                    lambda: group_caught_up(kafka_bootstrap, scene.group, scene.topic.name),
                    60,
                    "the consumer group to commit every offset",
                )
            finally:
                await broker.stop()

        await scene.send(*sent)
        await run_until_caught_up()
        await scene.send(*sent)  # the same events again, as a relay killed before deleting its rows sends them
        await run_until_caught_up()

        effects = await scene.effects()
        assert sorted(c for _, c, _ in effects) == sorted(f"C{n}" for n in range(40))
        # Per key, in the order sent (a key's events share a partition, and a call holds a key once).
        for p in {f"P{n % 7}" for n in range(40)}:
            assert [c for q, c, _ in effects if q == p] == [f"C{n}" for n in range(40) if f"P{n % 7}" == p]
        assert sum(len(call) for call in scene.calls) == 40
        assert consumer.stats == {"applied": 40, "duplicate": 40}
        assert await scene.dead_letters() == 0

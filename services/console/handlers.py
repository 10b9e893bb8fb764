"""The console's use cases: index events and dead letters as they come; replay or discard a
dead letter (audited); answer an operator's questions (trace, stuck claims, deadlines, what the
services' outboxes set aside)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from services.console import repository as repo
from services.console.domain.dead_letters import read_dead_letter, replay_headers
from services.console.domain.index import participant_of, summarize
from services.console.domain.quarantine import Quarantine, quarantine_view
from services.console.domain.sla import SlaStanding, standing
from services.console.domain.story import ClaimState, IndexedEvent, Step, claim_state, steps, stuck
from services.console.kafka_view import KafkaView
from services.console.upstream import SERVICES, Upstream, UpstreamError
from shared.auth import Actor
from shared.clock import MAKASSAR
from shared.consuming import Batched, Delivery
from shared.db import record_audit
from shared.errors import FieldError, RuleViolation
from shared.inbox import traces_of
from shared.kafka import EventProducer, OutgoingRecord
from shared.tracing import trace_id_of, traceparent_of


class DeadLetterNotFound(LookupError):
    pass


class AlreadyResolved(Exception):
    def __init__(self, letter: dict[str, Any]):
        self.letter = letter
        super().__init__(
            f"this dead letter was {letter['status']} by {letter['resolved_by']} at {letter['resolved_at']}"
        )


class RecordGone(Exception):
    """The dead letter's record is no longer in Kafka (retention removed it)."""


# --- indexing (consumers) ------------------------------------------------------------------------------


async def index_events(conn: asyncpg.Connection, deliveries: list[Delivery]) -> None:
    """A batch's events in one statement (issue 17), inside the consumer's transaction. The index is
    its own inbox: a replayed event (same event_id at a new offset) is not indexed a second time."""
    rows = []
    for delivery in deliveries:
        envelope, record = delivery.envelope, delivery.record
        if record is None:
            raise RuntimeError("index_events runs inside a ConsumerRunner, which hands over each record")
        rows.append(
            repo.IndexRow(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                event_id=envelope.event_id,
                type=envelope.type,
                version=envelope.version,
                correlation_id=envelope.correlation_id,
                causation_id=envelope.causation_id,
                participant_id=participant_of(envelope.payload),
                producer=envelope.producer,
                key=record.key.decode(errors="replace") if isinstance(record.key, bytes) else record.key,
                occurred_at=envelope.occurred_at,
                logged_at=datetime.fromtimestamp(record.timestamp / 1000, UTC) if record.timestamp else None,
                summary=summarize(envelope.type, envelope.payload),
                traceparent=traceparent_of(record),
            )
        )
    await repo.index_events(conn, rows)


# One handler for every event type of a topic, so a batch's fresh records go to it in one call, a key
# more than once too (a claim's messages to each heir, its transfers): a row depends on no other event.
index_event = Batched(index_events, keys_apart=False)


async def record_dead_letter(pool: asyncpg.Pool, record: ConsumerRecord) -> bool:
    letter = read_dead_letter(record.topic, list(record.headers or ()), record.value)
    key = record.key.decode(errors="replace").replace("\x00", "\ufffd") if isinstance(record.key, bytes) else record.key
    async with pool.acquire() as conn:
        return await repo.record_dead_letter(conn, record.topic, record.partition, record.offset, key, letter)


# --- replay and discard (operators) ---------------------------------------------------------------------


def _coords(letter: dict[str, Any]) -> str:
    return f"{letter['topic']}/{letter['kafka_partition']}/{letter['kafka_offset']}"


def _original(letter: dict[str, Any]) -> str:
    return f"{letter['original_topic']}/{letter['original_partition']}/{letter['original_offset']}"


async def _waiting(conn: asyncpg.Connection, topic: str, partition: int, offset: int) -> dict[str, Any]:
    letter = await repo.dead_letter(conn, topic, partition, offset, for_update=True)
    if letter is None:
        raise DeadLetterNotFound(f"{topic}/{partition}/{offset}")
    if letter["status"] != "waiting":
        raise AlreadyResolved(letter)
    return letter


async def replay(
    conn: asyncpg.Connection,
    kafka: KafkaView,
    producer: EventProducer,
    topic: str,
    partition: int,
    offset: int,
    actor: Actor,
) -> dict[str, Any]:
    """Sends the original record again to its topic: its bytes, its key, its headers less
    the dlq_* ones. Run in a transaction: the dead letter (and its copies, when several
    consumers dead-lettered the same record) is marked replayed and the audit row written
    with it. Consumers that had applied it see a duplicate in their inbox and do nothing."""
    letter = await _waiting(conn, topic, partition, offset)
    record = await kafka.record(topic, partition, offset)
    if record is None:
        raise RecordGone(f"{_coords(letter)} is no longer in Kafka")
    copies = await repo.same_message(conn, letter)
    key = record.key.decode(errors="replace") if isinstance(record.key, bytes) else str(record.key or "")
    await producer.send_all(
        [OutgoingRecord(letter["original_topic"], key, record.value or b"", replay_headers(list(record.headers or ())))]
    )
    note = f"replayed to {letter['original_topic']}"
    await repo.resolve(conn, copies, "replayed", actor.subject, note)
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="dlq.replay",
        subject_id=_coords(letter),
        details={
            "original": _original(letter),
            "to_topic": letter["original_topic"],
            "event_id": letter["event_id"],
            "event_type": letter["event_type"],
            "copies": [_coords(c) for c in copies],
        },
    )
    return {
        "replayed": [_coords(c) for c in copies],
        "to_topic": letter["original_topic"],
        "event_id": letter["event_id"],
    }


async def discard(
    conn: asyncpg.Connection, topic: str, partition: int, offset: int, reason: str, actor: Actor
) -> dict[str, Any]:
    if not reason or not reason.strip():
        raise RuleViolation(
            [
                FieldError(
                    ("reason",),
                    "reason_required",
                    "reason_required: say why the message is discarded; the audit trail reads it",
                )
            ]
        )
    letter = await _waiting(conn, topic, partition, offset)
    copies = await repo.same_message(conn, letter)  # one record dead-lettered by several consumers goes as one
    await repo.resolve(conn, copies, "discarded", actor.subject, reason.strip())
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="dlq.discard",
        subject_id=_coords(letter),
        details={
            "original": _original(letter),
            "reason": reason.strip(),
            "event_id": letter["event_id"],
            "event_type": letter["event_type"],
            "copies": [_coords(c) for c in copies],
        },
    )
    return {"discarded": [_coords(c) for c in copies], "reason": reason.strip()}


async def replay_all(
    pool: asyncpg.Pool, kafka: KafkaView, producer: EventProducer, topic: str, actor: Actor
) -> list[dict[str, Any]]:
    """Every waiting dead letter of the topic, oldest first, each in its own transaction;
    copies of a record already replayed in this run are skipped (they were marked with it)."""
    async with pool.acquire() as conn:
        waiting = await repo.dead_letters(conn, topic, "waiting", limit=10_000)
    done = []
    for letter in waiting:
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    done.append(
                        await replay(
                            conn, kafka, producer, topic, letter["kafka_partition"], letter["kafka_offset"], actor
                        )
                    )
            except (AlreadyResolved, RecordGone):
                continue  # replayed with an earlier copy, or removed by retention: nothing to send
    return done


# --- questions (operators, supervisors) ---------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    query: str
    events: list[IndexedEvent]
    claims: dict[str, list[Step]]  # claim id -> its steps
    states: dict[str, ClaimState]
    # claim id -> the OpenTelemetry trace(s) its events came in, first seen first: one per claim,
    # unless an officer's later action (a payee's account) started its own.
    trace_ids: dict[str, list[str]] = field(default_factory=dict)


async def trace(conn: asyncpg.Connection, correlation_id: str, indexed_by: Sequence[str] = ()) -> Trace:
    """`indexed_by`: the index's consumers, whose inbox rows kept the traceparent of the events
    indexed before the index kept it (migration 0009)."""
    events = await repo.trace(conn, correlation_id.strip())
    by_claim: dict[str, list[IndexedEvent]] = {}
    for event in events:
        if event.topic != "enrollment.participants.v1":
            by_claim.setdefault(event.correlation_id, []).append(event)
    claims = {cid: steps(evs) for cid, evs in by_claim.items()}
    states = {}
    for cid, evs in by_claim.items():
        try:
            states[cid] = claim_state(cid, evs)
        except ValueError:
            continue
    trace_ids: dict[str, list[str]] = {}
    if by_claim:
        ids = [uuid.UUID(e.event_id) for e in events]
        traces = await repo.traceparents(conn, ids)
        if indexed_by and len(traces) < len(ids):  # indexed before the index kept them: the inbox did
            traces = await traces_of(conn, indexed_by, [i for i in ids if i not in traces]) | traces
        for cid, evs in by_claim.items():
            for event in evs:
                trace_id = trace_id_of(traces.get(uuid.UUID(event.event_id)))
                if trace_id and trace_id not in trace_ids.setdefault(cid, []):
                    trace_ids[cid].append(trace_id)
    return Trace(correlation_id, events, claims, states, trace_ids)


async def stuck_claims(conn: asyncpg.Connection, now: datetime, older_than_s: int) -> list[ClaimState]:
    older_than = timedelta(seconds=older_than_s)
    candidates = await repo.quiet_unfinished_claims(conn, now - older_than)
    events = await repo.events_of(conn, candidates)
    return stuck([claim_state(cid, evs) for cid, evs in events.items() if evs], now, older_than)


async def sla_standings(conn: asyncpg.Connection, now: datetime, warn_days: int) -> list[SlaStanding]:
    """Claims whose payment clock runs (documents complete, not yet paid or rejected),
    nearest the deadline first."""
    today = now.astimezone(MAKASSAR).date()
    events = await repo.events_of(conn, await repo.decided_unfinished_claims(conn))
    found = []
    for cid, evs in events.items():
        if not evs:
            continue
        state = claim_state(cid, evs)
        if state.payment_deadline is None or state.finished or state.claim_type is None:
            continue
        found.append(
            standing(
                cid,
                state.claim_type,
                state.status,
                state.documents_complete_on,
                state.payment_deadline,
                today,
                warn_days,
            )
        )
    return sorted(found, key=lambda s: (s.days_left, s.claim_id))


def dlq_topics(counts: dict[str, dict[str, int]], names: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "count": counts.get(name, {}).get("waiting", 0),
            "replayed": counts.get(name, {}).get("replayed", 0),
            "discarded": counts.get(name, {}).get("discarded", 0),
        }
        for name in names
    ]


# --- the services' outbox quarantines -----------------------------------------------------------------------


async def quarantine(upstream: Upstream) -> Quarantine:
    """Every service's quarantine, asked at once with the operator's own token; a service that
    does not answer, or answers with an error or with something that is not JSON, is unknown."""

    async def ask(service: str) -> dict[str, Any] | None:
        try:
            return await upstream.outbox_quarantine(service)
        except (UpstreamError, ValueError):
            return None

    answers = await asyncio.gather(*(ask(service) for service in SERVICES))
    return quarantine_view(dict(zip(SERVICES, answers, strict=True)))

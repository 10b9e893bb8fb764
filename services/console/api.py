"""The console's JSON API: what the pages show, for scripts. Operators' endpoints take the
`operator` role; trace, stuck claims and deadlines are open to supervisors too."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.applications import Starlette

from services.console import handlers
from services.console import repository as repo
from services.console.consumers import DEAD_LETTER_TOPICS, index_consumer_names
from services.console.domain.story import Step
from services.console.kafka_view import Flows, KafkaView
from services.console.session import Session, api_session
from services.console.upstream import Upstream
from shared.answers import Instant, one_of
from shared.contracts.vocabulary import CLAIM_TYPES
from shared.limits import Text
from shared.service import Runtime, get_runtime
from shared.topics import CATALOGUE

router = APIRouter(prefix="/v1", tags=["console"])
Operator = Annotated[Session, Depends(api_session("operator"))]
Watcher = Annotated[Session, Depends(api_session("operator", "supervisor"))]
Reader = Annotated[Session, Depends(api_session("operator", "supervisor", "officer"))]
Rt = Annotated[Runtime, Depends(get_runtime)]

FLOW_TOPICS: tuple[str, ...] = tuple(name for topic in CATALOGUE for name in (topic.name, topic.dlq))
PRODUCERS: dict[str, str] = {topic.name: topic.producer for topic in CATALOGUE}
FLOWS_FRESH_SECONDS = 2.0


def kafka_view(rt: Runtime) -> KafkaView:
    return KafkaView(rt.settings.infra.kafka_bootstrap_servers)


async def current_flows(request: Request) -> Flows:
    return await flows_of(request.app)


async def flows_of(app: Starlette) -> Flows:
    """Kafka's answer, at most a couple of seconds old: several open pages polling (and
    Prometheus scraping the lag gauges) share it."""
    state = app.state
    if not hasattr(state, "flows_lock"):
        state.flows_lock = asyncio.Lock()
        state.flows = None
    async with state.flows_lock:
        if state.flows is None or time.time() - state.flows.taken_at > FLOWS_FRESH_SECONDS:
            state.flows = await kafka_view(state.runtime).flows(FLOW_TOPICS)
        return state.flows


def flows_json(flows: Flows) -> dict[str, Any]:
    return {
        "topics": [
            {
                "name": t.name,
                "partitions": t.partitions,
                "end_offset": t.end_offset,
                "rate_1m": t.rate_1m,
                "rate_15m": t.rate_15m,
                "per_minute": list(t.per_minute),
                "producer": PRODUCERS.get(t.name),
                "dead_letters": t.name in DEAD_LETTER_TOPICS,
            }
            for t in flows.topics
        ],
        "groups": [
            {
                "group_id": g.group_id,
                "state": g.state,
                "members": [asdict(m) for m in g.members],
                "lag": [
                    {
                        "topic": t.topic,
                        "lag": t.lag,
                        "worst_partition": t.worst.partition,
                        "worst_partition_lag": t.worst.lag,
                        "partitions": [
                            {"partition": p.partition, "committed": p.committed, "end": p.end, "lag": p.lag}
                            for p in t.partitions
                        ],
                    }
                    for t in g.lag
                ],
                "total_lag": g.total_lag,
            }
            for g in flows.groups
        ],
        "taken_at": datetime.fromtimestamp(flows.taken_at, UTC).isoformat(),
    }


class TopicFlowOut(BaseModel):
    name: str
    partitions: int
    end_offset: int = Field(description="summed over partitions: how many records were ever written")
    rate_1m: float = Field(description="records per second over the last minute")
    rate_15m: float = Field(description="records per second over the last 15 minutes")
    per_minute: list[int] = Field(description="records in each of the last 15 minutes, oldest first")
    producer: str | None = Field(description="the service that writes the topic; null for a dead-letter topic")
    dead_letters: bool = Field(description="a dead-letter topic")


class MemberOut(BaseModel):
    client_id: str
    host: str
    assignment: dict[str, list[int]] = Field(description="topic -> the partitions assigned")


class PartitionLagOut(BaseModel):
    partition: int
    committed: int
    end: int
    lag: int


class TopicLagOut(BaseModel):
    topic: str
    lag: int
    worst_partition: int
    worst_partition_lag: int
    partitions: list[PartitionLagOut]


class GroupFlowOut(BaseModel):
    group_id: str
    state: str
    members: list[MemberOut]
    lag: list[TopicLagOut]
    total_lag: int


class FlowsOut(BaseModel):
    """Kafka's topics and consumer groups as the console last read them."""

    topics: list[TopicFlowOut]
    groups: list[GroupFlowOut]
    taken_at: Instant


@router.get("/flows", response_model=FlowsOut)
async def flows(session: Operator, request: Request) -> dict[str, Any]:
    return flows_json(await current_flows(request))


# --- what the services' outboxes set aside ----------------------------------------------------------------


class HeldEventOut(BaseModel):
    """An event a service's outbox set aside instead of sending (key and reason masked)."""

    service: str
    event_type: str
    topic: str
    key: str
    reason: str
    size_bytes: int | None
    attempts: int | None
    quarantined_at: Instant | None


class QuarantineOut(BaseModel):
    total: int = Field(description="events quarantined in the services that answered")
    unknown: list[str] = Field(description="the services that did not answer")
    services: dict[str, int | None] = Field(description="service -> events quarantined; null: it did not answer")
    events: list[HeldEventOut] = Field(description="oldest first")


@router.get("/quarantine", response_model=QuarantineOut)
async def quarantine(session: Operator, rt: Rt) -> dict[str, Any]:
    """Each service's quarantined events; a service that did not answer has `null`, not 0."""
    held = await handlers.quarantine(Upstream(rt.settings, session.token))
    return {
        "total": held.total,
        "unknown": list(held.unknown),
        "services": held.counts,
        "events": [asdict(e) for e in held.events],
    }


# --- dead letters ------------------------------------------------------------------------------------


class DiscardIn(BaseModel):
    reason: Text


DEAD_LETTER_STATUSES = ("waiting", "replayed", "discarded")


def _dlq_topic(topic: str) -> str:
    if topic not in DEAD_LETTER_TOPICS:
        raise HTTPException(404, f"{topic} is not a dead-letter topic; they are {', '.join(DEAD_LETTER_TOPICS)}")
    return topic


def letter_json(letter: dict[str, Any]) -> dict[str, Any]:
    return {
        "partition": letter["kafka_partition"],
        "offset": letter["kafka_offset"],
        "reason": letter["reason"],
        "original_topic": letter["original_topic"],
        "original_partition": letter["original_partition"],
        "original_offset": letter["original_offset"],
        "key": letter["key"],
        "consumer": letter["consumer"],
        "event_id": letter["event_id"],
        "event_type": letter["event_type"],
        "correlation_id": letter["correlation_id"],
        "headers": letter["headers"],
        "payload": letter["payload"],
        "dead_lettered_at": letter["dead_lettered_at"],
        "status": letter["status"],
        "resolved_by": letter["resolved_by"],
        "resolved_at": letter["resolved_at"],
        "resolution": letter["resolution"],
    }


class DeadLetterTopicOut(BaseModel):
    name: str
    count: int = Field(description="dead letters waiting")
    replayed: int
    discarded: int


class DeadLetterTopicsOut(BaseModel):
    topics: list[DeadLetterTopicOut]


@router.get("/dlq", response_model=DeadLetterTopicsOut)
async def dlq_overview(session: Operator, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        counts = await repo.dead_letter_counts(conn)
    return {"topics": handlers.dlq_topics(counts, DEAD_LETTER_TOPICS)}


class DeadLetterOut(BaseModel):
    """A record a consumer set aside, where it came from, and what became of it (NIKs masked)."""

    partition: int
    offset: int
    reason: str
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    key: str | None
    consumer: str
    event_id: str | None
    event_type: str | None
    correlation_id: str | None
    headers: dict[str, Any] = Field(description="the record's headers: name -> value as text")
    payload: str = Field(description="the record's bytes as text, cut short")
    dead_lettered_at: Instant | None
    status: str = one_of(DEAD_LETTER_STATUSES)
    resolved_by: str | None
    resolved_at: Instant | None
    resolution: str | None = Field(description="where it was replayed to, or why it was discarded")


class DeadLettersOut(BaseModel):
    topic: str
    messages: list[DeadLetterOut]


class ReplayedOut(BaseModel):
    replayed: list[str] = Field(description="the dead letters resolved (topic/partition/offset): the record's copies")
    to_topic: str
    event_id: str | None


class DiscardedOut(BaseModel):
    discarded: list[str] = Field(description="the dead letters resolved (topic/partition/offset): the record's copies")
    reason: str


class ReplayedAllOut(BaseModel):
    replayed: list[ReplayedOut]


@router.get("/dlq/{topic}", response_model=DeadLettersOut)
async def dlq_messages(
    topic: str,
    session: Operator,
    rt: Rt,
    status: Annotated[str, Query(pattern="^(waiting|replayed|discarded|all)$")] = "waiting",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        letters = await repo.dead_letters(conn, _dlq_topic(topic), None if status == "all" else status, limit)
    return {"topic": topic, "messages": [letter_json(x) for x in letters]}


async def _resolving(coro):
    try:
        return await coro
    except handlers.DeadLetterNotFound as exc:
        raise HTTPException(404, f"no dead letter {exc.args[0]}") from None
    except handlers.AlreadyResolved as exc:
        raise HTTPException(409, str(exc)) from None
    except handlers.RecordGone as exc:
        raise HTTPException(410, str(exc)) from None


@router.post("/dlq/{topic}/{partition}/{offset}/replay", response_model=ReplayedOut)
async def replay(topic: str, partition: int, offset: int, session: Operator, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        return await _resolving(
            handlers.replay(conn, kafka_view(rt), rt.producer, _dlq_topic(topic), partition, offset, session.actor)
        )


@router.post("/dlq/{topic}/{partition}/{offset}/discard", response_model=DiscardedOut)
async def discard(
    topic: str, partition: int, offset: int, body: DiscardIn, session: Operator, rt: Rt
) -> dict[str, Any]:
    async with rt.pool.acquire() as conn, conn.transaction():
        return await _resolving(
            handlers.discard(conn, _dlq_topic(topic), partition, offset, body.reason, session.actor)
        )


@router.post("/dlq/{topic}/replay-all", response_model=ReplayedAllOut)
async def replay_all(topic: str, session: Operator, rt: Rt) -> dict[str, Any]:
    done = await handlers.replay_all(rt.pool, kafka_view(rt), rt.producer, _dlq_topic(topic), session.actor)
    return {"replayed": done}


# --- trace, stuck, deadlines ------------------------------------------------------------------------------


def step_json(step: Step) -> dict[str, Any]:
    return {
        "step": step.name,
        "outcome": step.outcome,
        "at": step.at.isoformat(),
        "type": step.event.type,
        "since_previous_s": step.since_previous.total_seconds() if step.since_previous is not None else None,
        "since_filed_s": step.since_filed.total_seconds() if step.since_filed is not None else None,
        "detail": dict(step.event.summary),
    }


class StepOut(BaseModel):
    step: str = Field(
        description="filed, verified, decided, payout_recorded, disbursement_<status>, family_notified, …"
    )
    outcome: str | None = Field(description="approved, rejected or needs_review, for verified and decided")
    at: Instant
    type: str = Field(description="the event's type")
    since_previous_s: float | None = Field(description="seconds from the step it follows")
    since_filed_s: float | None
    detail: dict[str, Any] = Field(description="the event's summary (masked); its keys vary by event type")


class TracedEventOut(BaseModel):
    type: str
    topic: str
    occurred_at: Instant
    producer: str
    partition: int
    offset: int
    event_id: str
    correlation_id: str
    summary: dict[str, Any] = Field(description="the event's summary (masked); its keys vary by event type")


class TracedClaimOut(BaseModel):
    status: str | None = Field(description="as the console read it from the events")
    steps: list[StepOut]
    trace_ids: list[str] = Field(description="the OpenTelemetry traces the claim's events carried")
    trace_urls: list[str] = Field(description="links to those traces, when a trace viewer is configured")


class TraceOut(BaseModel):
    correlation_id: str
    events: list[TracedEventOut]
    claims: dict[str, TracedClaimOut] = Field(description="claim_id -> its story")


@router.get("/trace/{correlation_id}", response_model=TraceOut)
async def trace(correlation_id: str, session: Reader, rt: Rt) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        found = await handlers.trace(conn, correlation_id, index_consumer_names(rt.name))
    template = rt.settings.trace_url_template
    return {
        "correlation_id": correlation_id,
        "events": [
            {
                "type": e.type,
                "topic": e.topic,
                "occurred_at": e.occurred_at.isoformat(),
                "producer": e.producer,
                "partition": e.partition,
                "offset": e.offset,
                "event_id": e.event_id,
                "correlation_id": e.correlation_id,
                "summary": dict(e.summary),
            }
            for e in found.events
        ],
        "claims": {
            cid: {
                "status": found.states[cid].status if cid in found.states else None,
                "steps": [step_json(s) for s in steps],
                "trace_ids": found.trace_ids.get(cid, []),
                "trace_urls": [template.replace("{trace_id}", t) for t in found.trace_ids.get(cid, []) if template],
            }
            for cid, steps in found.claims.items()
        },
    }


class StuckClaimOut(BaseModel):
    claim_id: str
    status: str = Field(description="as the console read it from the events; `unknown` before the first")
    claim_type: str | None
    participant_id: str | None
    last_event_type: str
    last_event_at: Instant
    quiet_for_s: float = Field(description="seconds since the last event")
    waiting_for: str | None = Field(description="the next event expected")


class StuckOut(BaseModel):
    older_than_s: int
    claims: list[StuckClaimOut]


@router.get("/stuck", response_model=StuckOut)
async def stuck(session: Watcher, rt: Rt, older_than_s: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
    older = rt.settings.stuck_after_seconds if older_than_s is None else older_than_s
    now = datetime.now(UTC)
    async with rt.pool.acquire() as conn:
        found = await handlers.stuck_claims(conn, now, older)
    return {
        "older_than_s": older,
        "claims": [
            {
                "claim_id": s.claim_id,
                "status": s.status,
                "claim_type": s.claim_type,
                "participant_id": s.participant_id,
                "last_event_type": s.last_event_type,
                "last_event_at": s.last_event_at.isoformat(),
                "quiet_for_s": (now - s.last_event_at).total_seconds(),
                "waiting_for": s.waiting_for,
            }
            for s in found
        ],
    }


class SlaStandingOut(BaseModel):
    claim_id: str
    claim_type: str = one_of(CLAIM_TYPES)
    status: str
    documents_complete_on: date
    deadline: date
    days_since_complete: int = Field(description="calendar days")
    days_left: int = Field(description="calendar days to the deadline; 0 on the day, negative once past")
    flag: str = one_of(("late", "due", "ok"))


class SlaOut(BaseModel):
    claims: list[SlaStandingOut]


@router.get("/sla", response_model=SlaOut)
async def sla(session: Watcher, rt: Rt, all: bool = False) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        found = await handlers.sla_standings(conn, datetime.now(UTC), rt.settings.sla_warn_days)
    return {
        "claims": [
            {
                **asdict(s),
                "documents_complete_on": s.documents_complete_on.isoformat(),
                "deadline": s.deadline.isoformat(),
            }
            for s in found
            if all or s.flag != "ok"
        ]
    }

"""Wiring one service process: settings → pool, migrations, topics, outbox relay,
consumers, HTTP app with /health (/livez, /readyz) and /metrics. Every service is started by this one
function, so they all start, report health and stop the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import merged_groups, pruning
from shared.auth import Actor, require_role, token_verifier
from shared.consuming import INFRASTRUCTURE_ERRORS, Consumer, ConsumerRunner, subscribe
from shared.db import apply_migrations, create_pool
from shared.edge import EdgeGuard, validation_error_view
from shared.errors import ERROR_STATUSES, PROBLEM_JSON, Conflict, RuleViolation, field_errors_sentence, problem
from shared.kafka import EventProducer, bootstrap_list, ensure_topics, kafka_answers
from shared.limits import LIMIT_MAX
from shared.logs import configure_logging, get_logger
from shared.observability import HttpMetrics, ScrapeWork, outbox_standing, refresh_at_scrape
from shared.outbox import OutboxRelay, quarantined
from shared.privacy import redact_url
from shared.settings import ServiceSettings
from shared.tracing import RequestLogContext, configure_tracing, http_telemetry, instrument_app

log = get_logger("service")


@dataclass
class Runtime:
    """What a running service's handlers and endpoints reach: no globals."""

    name: str
    settings: ServiceSettings
    pool: asyncpg.Pool  # requests, background work, probes
    producer: EventProducer
    broker: KafkaBroker
    relay: OutboxRelay
    # Consumers and the notifications dispatcher: generic plans (shared.db.create_pool).
    event_pool: asyncpg.Pool
    runners: list[ConsumerRunner] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def consumers(self) -> list[Consumer]:
        return [runner.consumer for runner in self.runners]


BackgroundWork = Callable[[Runtime], Coroutine[Any, Any, None]]  # an `async def` of the runtime


@dataclass
class ServiceSpec:
    name: str  # also its PostgreSQL schema and the prefix of its consumer groups
    settings: ServiceSettings
    migrations: Path | None
    routers: Sequence[APIRouter] = ()
    # Built once the runtime exists (handlers may need settings); selected by settings.consumers.
    consumers: Callable[[ServiceSettings], list[Consumer]] = lambda _s: []
    background: Sequence[BackgroundWork] = ()
    # Subscribers that are not Consumers (no envelope, no inbox: the console's dead-letter
    # index reads raw bytes), registered on the runtime's broker before it starts.
    subscribers: Sequence[Callable[[Runtime], None]] = ()
    # Paths whose request bodies may exceed settings.max_body_bytes, with their own cap
    # (enrollment's CSV import).
    large_bodies: Callable[[ServiceSettings], Mapping[str, int]] = lambda _s: {}
    # Gauges computed when Prometheus scrapes /metrics (claims by status, lag…); the outbox's
    # depth and oldest row are refreshed for every service.
    at_scrape: Sequence[ScrapeWork] = ()


def configure_consumer(consumer: Consumer, settings: ServiceSettings) -> None:
    """The service's settings for one of its consumers: retries, waits, and how big its polls are
    (bigger, and slower to come, for a consumer nobody waits on: `Consumer.background`; answered at
    the first record, and polled less often while idle, for one of rare records: `Consumer.quiet`;
    batching, and quiet once idle, for the others: shared/fetch_pace.py)."""
    consumer.max_attempts = settings.handler_max_attempts
    consumer.backoff_seconds = settings.handler_backoff_seconds
    consumer.wait_for_prerequisites_seconds = settings.prerequisite_wait_seconds
    consumer.commit_interval_seconds = settings.consumer_commit_interval_seconds
    if consumer.background:
        consumer.batch_size = settings.background_consumer_batch_size
        consumer.fetch_max_wait_ms = settings.background_consumer_fetch_max_wait_ms
        consumer.fetch_min_bytes = settings.background_consumer_fetch_min_bytes
    elif consumer.quiet:
        consumer.batch_size = settings.consumer_batch_size
        consumer.fetch_max_wait_ms = settings.quiet_consumer_fetch_max_wait_ms
        consumer.fetch_min_bytes = 1
    else:
        consumer.batch_size = settings.consumer_batch_size
        consumer.fetch_max_wait_ms = settings.consumer_fetch_max_wait_ms
        consumer.fetch_min_bytes = settings.consumer_fetch_min_bytes
        consumer.idle_after_seconds = settings.consumer_idle_after_seconds
        consumer.idle_fetch_max_wait_ms = settings.quiet_consumer_fetch_max_wait_ms


def create_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings
    infra = settings.infra

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, infra.log_level)
        applied = await apply_migrations(infra.database_url, spec.name, spec.migrations)
        log.info("service.migrated", applied=applied)
        await ensure_topics(
            infra.kafka_bootstrap_servers,
            partitions=infra.kafka_topic_partitions,
            replication_factor=infra.kafka_replication_factor,
            dead_letter_retention_ms=infra.kafka_dead_letter_retention_ms,
            min_insync_replicas=infra.kafka_min_insync_replicas,
        )
        pool = await create_pool(infra.database_url, spec.name, max_size=settings.db_pool_size)
        event_pool = await create_pool(
            infra.database_url, spec.name, max_size=settings.db_pool_size, generic_plans=True
        )
        producer = EventProducer(infra.kafka_bootstrap_servers, client_id=f"{spec.name}-producer")
        await producer.start()
        # FastStream's own metrics: messages received, processed, failed and their duration per topic.
        broker = KafkaBroker(
            bootstrap_list(infra.kafka_bootstrap_servers),
            client_id=spec.name,
            logger=None,
            middlewares=[KafkaPrometheusMiddleware(registry=REGISTRY, app_name=spec.name)],
            # Handlers get the records their subscriber's decoder gives (shared.consuming.raw_records),
            # nothing injected: no dependency resolution per poll (FastDepends solved the message's
            # Context in a worker thread, a thread hop for every batch).
            apply_types=False,
        )
        # The relay is not on the event pool: the outbox is a queue, emptied as it is published, and a
        # plan cached for it while nearly empty (a sequential scan) reads every page of the deleted rows
        # not yet vacuumed; its rounds plan anew (OutboxRelay.publish_pending; docs/benchmarks.md, round 14).
        relay = OutboxRelay(
            pool,
            producer,
            spec.name,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            max_attempts=settings.outbox_max_attempts,
            gather_seconds=settings.outbox_gather_seconds,
        )
        runtime = Runtime(spec.name, settings, pool, producer, broker, relay, event_pool)
        app.state.runtime = runtime
        for consumer in select_consumers(spec.consumers(settings), settings.consumers):
            configure_consumer(consumer, settings)
            runner = ConsumerRunner(consumer, event_pool, producer)
            runtime.runners.append(runner)
            subscribe(broker, runner)
            runtime.tasks.append(
                asyncio.create_task(runner.retry_parked(settings.parked_retry_seconds), name=f"parked:{consumer.name}")
            )
            if runner.pace is not None:
                runtime.tasks.append(asyncio.create_task(runner.pace.run(), name=f"pace:{consumer.name}"))
        if settings.consumers != "none":
            for register in spec.subscribers:
                register(runtime)
        if settings.run_relay:
            runtime.tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        if settings.inbox_prune_seconds > 0 and runtime.consumers:
            runtime.tasks.append(
                asyncio.create_task(
                    pruning.periodic(settings.inbox_prune_seconds, settings.inbox_prune_batch)(runtime),
                    name="inbox-pruning",
                )
            )
        for work in spec.background:
            runtime.tasks.append(asyncio.create_task(work(runtime), name=getattr(work, "__name__", "work")))
        for consumer in runtime.consumers:
            if consumer.formerly:  # before the group's first member joins: it reads from these offsets
                await merged_groups.start_where_former_groups_stopped(infra.kafka_bootstrap_servers, consumer)
                runtime.tasks.append(
                    asyncio.create_task(
                        merged_groups.retire_former_groups(infra.kafka_bootstrap_servers, consumer),
                        name=f"retire:{consumer.name}",
                    )
                )
        await broker.start()
        log.info(
            "service.started",
            consumers=[c.name for c in runtime.consumers],
            database=redact_url(infra.database_url),
            kafka=infra.kafka_bootstrap_servers,
        )
        try:
            yield
        finally:
            # Applied records' offsets still waiting (shared/offsets.py), while the groups are still joined.
            await asyncio.gather(*(runner.offsets.close() for runner in runtime.runners), return_exceptions=True)
            await broker.stop()
            for task in runtime.tasks:
                task.cancel()
            await asyncio.gather(*runtime.tasks, return_exceptions=True)
            await producer.stop()
            for each in (event_pool, pool):
                try:
                    # close() waits for every connection to come back; one still held by work that
                    # outlived the cancellation above must not keep the process from stopping.
                    await asyncio.wait_for(each.close(), 10)
                except TimeoutError:
                    log.warning("service.pool_close_timed_out")
                    each.terminate()
            log.info("service.stopped")

    configure_tracing(spec.name)
    app = FastAPI(title=f"Jaring {spec.name}", version="1", lifespan=lifespan, telemetry=http_telemetry())
    app.state.token_verifier = token_verifier(infra)
    app.state.kafka_checked = (0.0, False)

    async def readiness(request: Request) -> JSONResponse:
        runtime: Runtime | None = getattr(request.app.state, "runtime", None)
        checks = {"database": False, "kafka": False, "outbox_relay": False}
        if runtime is not None:
            with contextlib.suppress(Exception):
                async with runtime.pool.acquire(timeout=2) as conn:
                    checks["database"] = await conn.fetchval("SELECT 1") == 1
            checks["kafka"] = await _kafka_ok(request.app, infra.kafka_bootstrap_servers)
            checks["outbox_relay"] = runtime.relay.running or not settings.run_relay
        ready = all(checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "service": spec.name, "checks": checks}
        if runtime is not None and checks["database"]:
            with contextlib.suppress(Exception):
                body["outbox_quarantined"] = await runtime.relay.count_quarantined()
        if ready and body.get("outbox_quarantined"):
            # Alive and serving (liveness stays 200), but some events never reached Kafka:
            # an operator must look at GET /v1/outbox/quarantine.
            body["status"] = "degraded"
        return JSONResponse(body, status_code=200 if ready else 503)

    # /health is readiness as the local stack and compose have always read it; /readyz is the
    # same answer under the name Kubernetes' readiness probe uses.
    app.add_api_route("/health", readiness, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readiness, methods=["GET"], include_in_schema=False)

    @app.get("/livez", include_in_schema=False)
    async def livez() -> JSONResponse:
        # Alive = this process answers. No dependency is checked: a database outage must take
        # pods out of service (readiness), not restart every one of them (liveness).
        return JSONResponse({"status": "alive", "service": spec.name})

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if getattr(request.app.state, "runtime", None) is not None:
            await refresh_at_scrape(request.app, [outbox_standing, *spec.at_scrape])
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # The one exception layer: every error answer is an RFC 9457 problem document (shared/errors.py).
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes each bad value back (`input`), a NIK included: answer
        # with where and which rule only.
        errors = [validation_error_view(e) for e in exc.errors()]
        return problem_response(422, field_errors_sentence(errors), errors=errors)

    @app.exception_handler(RuleViolation)
    async def rule_violation(_request: Request, exc: RuleViolation) -> JSONResponse:
        errors = [{"loc": located(e.loc), "msg": e.msg, "type": e.rule} for e in exc.errors]
        return problem_response(422, field_errors_sentence(errors), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        # 401, 403, 404, 413 and the like. A dict detail ({"type", "msg", …}) is a rule: its
        # message becomes `detail`, its name `code`, the rest extension members.
        if exc.status_code < 400:
            return Response(status_code=exc.status_code, headers=exc.headers)
        if isinstance(exc.detail, list):  # field errors a route raised itself ({loc, msg, type} each)
            return problem_response(
                exc.status_code, field_errors_sentence(exc.detail), errors=exc.detail, headers=exc.headers
            )
        if isinstance(exc.detail, dict):
            extra = {k: v for k, v in exc.detail.items() if k not in ("msg", "type", "detail")}
            sentence = str(exc.detail.get("msg") or exc.detail.get("detail") or HTTPStatus(exc.status_code).phrase)
            return problem_response(
                exc.status_code, sentence, code=exc.detail.get("type"), headers=exc.headers, **extra
            )
        return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)

    for away in INFRASTRUCTURE_ERRORS:
        app.exception_handler(away)(unavailable)

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return problem_response(409, exc.msg, code=exc.rule, existing_id=exc.existing_id)

    for router in (*spec.routers, plumbing_router):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.add_middleware(EdgeGuard, max_body_bytes=settings.max_body_bytes, large_bodies=spec.large_bodies(settings))
    app.add_middleware(HttpMetrics, service=spec.name)
    app.add_middleware(RequestLogContext)
    instrument_app(app)
    return app


def located(loc: tuple[str | int, ...]) -> list[str | int]:
    """A rule's field as FastAPI's own errors name it: in the body unless it names another part."""
    return list(loc) if loc and loc[0] in ("header", "query", "path") else ["body", *loc]


class FieldErrorOut(BaseModel):
    loc: list[str | int] = Field(description="where: body, then the field's path")
    msg: str
    type: str = Field(description="the rule's machine name")


class Problem(BaseModel):
    """RFC 9457 problem details: what every error answer is (media type application/problem+json)."""

    type: str = Field("about:blank", description="about:blank: `title` is the status's phrase")
    title: str
    status: int
    detail: str = Field(description="what a person reads")
    errors: list[FieldErrorOut] | None = Field(None, description="422: each field that breaks a rule")
    code: str | None = Field(None, description="403 and 409: the rule that refused the request")
    existing_id: str | None = Field(None, description="409: the resource that exists already")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, description in ERROR_STATUSES.items()
}


def problem_response(
    status: int, detail: str, *, headers: Mapping[str, str] | None = None, **members: Any
) -> JSONResponse:
    return JSONResponse(
        problem(status, detail, **members), status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


plumbing_router = APIRouter(prefix="/v1", tags=["plumbing"])


class QuarantinedEvent(BaseModel):
    """An event set aside without its body: an operator reads where it was going and why not."""

    id: int
    event_id: UUID
    topic: str
    key: str
    event_type: str
    size_bytes: int
    attempts: int
    reason: str
    created_at: datetime
    quarantined_at: datetime


class OutboxQuarantine(BaseModel):
    service: str
    count: int = Field(description="every event quarantined, beyond the page listed")
    events: list[QuarantinedEvent]


@plumbing_router.get("/outbox/quarantine", response_model=OutboxQuarantine)
async def outbox_quarantine(
    request: Request,
    _actor: Annotated[Actor, Depends(require_role("operator"))],
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 100,
) -> dict[str, Any]:
    """Events this service could not publish (Kafka refused them), with the reason: an operator's to-do."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        events = await quarantined(conn, limit)
    return {"service": runtime.name, "count": await runtime.relay.count_quarantined(), "events": events}


async def unavailable(_request: Request, exc: Exception) -> JSONResponse:
    # The database (or broker) is away or refusing for now (deadlock, too many connections):
    # nothing was written; the caller may simply retry.
    log.warning("request.unavailable", error=repr(exc))
    return problem_response(
        503,
        "a service Jaring depends on is unavailable; nothing was written, try again shortly",
        headers={"Retry-After": "2"},
    )


def select_consumers(available: list[Consumer], wanted: str) -> list[Consumer]:
    """`wanted` is "all", "none" or a comma-separated list of consumer names (or their last part)."""
    if wanted == "all":
        return available
    if wanted == "none":
        return []
    names = {w.strip() for w in wanted.split(",") if w.strip()}
    chosen = [c for c in available if c.name in names or c.name.rsplit(".", 1)[-1] in names]
    unknown = names - {c.name for c in chosen} - {c.name.rsplit(".", 1)[-1] for c in chosen}
    if unknown:
        raise ValueError(f"unknown consumers {sorted(unknown)}; known: {[c.name for c in available]}")
    return chosen


async def _kafka_ok(app: FastAPI, bootstrap: str) -> bool:
    # A metadata round trip per probe is cheap, but probes can come often: cache it briefly.
    checked_at: float
    ok: bool
    checked_at, ok = app.state.kafka_checked
    if time.monotonic() - checked_at < 2.0:
        return ok
    ok = await kafka_answers(bootstrap)
    app.state.kafka_checked = (time.monotonic(), ok)
    return ok


# Python's cycle collector scans its youngest objects each time this many more have been made than
# freed (Python's default: 700). A service makes and frees thousands a record (envelopes, rows,
# dicts), nearly all freed at once by reference counting: at 700 the collector ran 15-20 times a
# second in claims, promoted whatever happened to be alive and made a full pass over every object
# the process holds (its modules, FastAPI's and pydantic's schemas) every 7-10 seconds: 2-19 % of a
# service's CPU at 100 claims/s, the console's the most. At 10,000 and with what the service built
# frozen, 0-2 % (docs/benchmarks.md, round 12).
YOUNG_GENERATION_THRESHOLD = 10_000


def settle_garbage_collector(young_threshold: int = YOUNG_GENERATION_THRESHOLD) -> None:
    """For a long-running service, once it is built: what exists now (modules, the app, its schemas)
    is moved out of the collector's sight for good (gc.freeze), and the youngest generation is
    collected less often. Reference counting frees objects as before; cycles are still collected."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, oldest)


def run(spec: ServiceSpec) -> None:
    """The entrypoint of `python -m services.<name>`. Only a service's own process settles the
    garbage collector: a test that runs services in its process keeps Python's defaults."""
    app = create_app(spec)
    settle_garbage_collector()
    uvicorn.run(
        app,
        host=spec.settings.http_host,
        port=spec.settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )


async def get_runtime(request: Request) -> Runtime:
    """FastAPI dependency: the running service's pool, settings and producer. Async, like every
    dependency here: FastAPI runs a plain `def` dependency in a worker thread, a hop per request."""
    runtime: Runtime = request.app.state.runtime
    return runtime

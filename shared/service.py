"""Wiring one service process: settings → pool, migrations, topics, outbox relay,
consumers, HTTP app with /health (/livez, /readyz) and /metrics. Every service is started by this one
function, so they all start, report health and stop the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from shared.auth import Actor, require_role, token_verifier
from shared.consuming import Consumer, ConsumerRunner, subscribe
from shared.db import TRANSIENT_DATABASE_ERRORS, apply_migrations, create_pool
from shared.edge import EdgeGuard, validation_error_view
from shared.errors import Conflict, RuleViolation
from shared.kafka import EventProducer, bootstrap_list, ensure_topics, kafka_answers
from shared.limits import LIMIT_MAX
from shared.logs import configure_logging, get_logger
from shared.observability import HttpMetrics, ScrapeWork, outbox_standing, refresh_at_scrape
from shared.outbox import OutboxRelay, quarantined
from shared.privacy import redact_url
from shared.settings import ServiceSettings

log = get_logger("service")


@dataclass
class Runtime:
    """What a running service's handlers and endpoints reach: no globals."""

    name: str
    settings: ServiceSettings
    pool: asyncpg.Pool
    producer: EventProducer
    broker: KafkaBroker
    relay: OutboxRelay
    consumers: list[Consumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


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


def create_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings
    infra = settings.infra

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, infra.log_level)
        applied = await apply_migrations(infra.database_url, spec.name, spec.migrations)
        log.info("service.migrated", applied=applied)
        await ensure_topics(infra.kafka_bootstrap_servers, partitions=infra.kafka_topic_partitions,
                            replication_factor=infra.kafka_replication_factor,
                            dead_letter_retention_ms=infra.kafka_dead_letter_retention_ms,
                            min_insync_replicas=infra.kafka_min_insync_replicas)
        pool = await create_pool(infra.database_url, spec.name, max_size=settings.db_pool_size)
        producer = EventProducer(infra.kafka_bootstrap_servers, client_id=f"{spec.name}-producer")
        await producer.start()
        # FastStream's own metrics: messages received, processed, failed and their duration per topic.
        broker = KafkaBroker(bootstrap_list(infra.kafka_bootstrap_servers), client_id=spec.name, logger=None,
                             middlewares=[KafkaPrometheusMiddleware(registry=REGISTRY, app_name=spec.name)])
        relay = OutboxRelay(pool, producer, spec.name, batch_size=settings.outbox_batch_size,
                            poll_seconds=settings.outbox_poll_seconds, max_attempts=settings.outbox_max_attempts)
        runtime = Runtime(spec.name, settings, pool, producer, broker, relay)
        app.state.runtime = runtime
        for consumer in select_consumers(spec.consumers(settings), settings.consumers):
            consumer.max_attempts = settings.handler_max_attempts
            consumer.backoff_seconds = settings.handler_backoff_seconds
            consumer.batch_size = settings.consumer_batch_size
            consumer.wait_for_prerequisites_seconds = settings.prerequisite_wait_seconds
            runtime.consumers.append(consumer)
            runner = ConsumerRunner(consumer, pool, producer)
            subscribe(broker, runner)
            runtime.tasks.append(asyncio.create_task(runner.retry_parked(settings.parked_retry_seconds),
                                                     name=f"parked:{consumer.name}"))
        if settings.consumers != "none":
            for register in spec.subscribers:
                register(runtime)
        if settings.run_relay:
            runtime.tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        for work in spec.background:
            runtime.tasks.append(asyncio.create_task(work(runtime), name=getattr(work, "__name__", "work")))
        await broker.start()
        log.info("service.started", consumers=[c.name for c in runtime.consumers],
                 database=redact_url(infra.database_url), kafka=infra.kafka_bootstrap_servers)
        try:
            yield
        finally:
            await broker.stop()
            for task in runtime.tasks:
                task.cancel()
            await asyncio.gather(*runtime.tasks, return_exceptions=True)
            await producer.stop()
            try:
                # close() waits for every connection to come back; one still held by work that
                # outlived the cancellation above must not keep the process from stopping.
                await asyncio.wait_for(pool.close(), 10)
            except asyncio.TimeoutError:
                log.warning("service.pool_close_timed_out")
                pool.terminate()
            log.info("service.stopped")

    app = FastAPI(title=f"Jaring {spec.name}", version="1", lifespan=lifespan)
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

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes each bad value back (`input`), a NIK included: answer
        # with where and which rule only.
        return JSONResponse({"detail": [validation_error_view(e) for e in exc.errors()]}, status_code=422)

    @app.exception_handler(RuleViolation)
    async def rule_violation(_request: Request, exc: RuleViolation) -> JSONResponse:
        detail = [{"loc": ["body", *e.loc], "msg": e.msg, "type": e.rule} for e in exc.errors]
        return JSONResponse({"detail": detail}, status_code=422)

    for away in (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.InterfaceError,
                 ConnectionError, OSError, *TRANSIENT_DATABASE_ERRORS):
        app.exception_handler(away)(unavailable)

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": {"msg": exc.msg, "type": exc.rule, "existing_id": exc.existing_id}},
                            status_code=409)

    for router in (*spec.routers, plumbing_router):
        app.include_router(router)
    app.add_middleware(EdgeGuard, max_body_bytes=settings.max_body_bytes, large_bodies=spec.large_bodies(settings))
    app.add_middleware(HttpMetrics, service=spec.name)
    return app


plumbing_router = APIRouter(prefix="/v1", tags=["plumbing"])


@plumbing_router.get("/outbox/quarantine")
async def outbox_quarantine(request: Request, _actor: Annotated[Actor, Depends(require_role("operator"))],
                            limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 100) -> dict[str, Any]:
    """Events this service could not publish (Kafka refused them), with the reason: an operator's to-do."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        events = await quarantined(conn, limit)
    return {"service": runtime.name, "count": await runtime.relay.count_quarantined(), "events": events}


async def unavailable(_request: Request, exc: Exception) -> JSONResponse:
    # The database (or broker) is away or refusing for now (deadlock, too many connections):
    # nothing was written; the caller may simply retry.
    log.warning("request.unavailable", error=repr(exc))
    return JSONResponse({"detail": "a service Jaring depends on is unavailable; nothing was written, "
                                   "try again shortly"}, status_code=503, headers={"Retry-After": "2"})


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


def run(spec: ServiceSpec) -> None:
    """The entrypoint of `python -m services.<name>`."""
    uvicorn.run(create_app(spec), host=spec.settings.http_host, port=spec.settings.http_port,
                log_config=None, access_log=False, lifespan="on")


async def get_runtime(request: Request) -> Runtime:
    """FastAPI dependency: the running service's pool, settings and producer. Async, like every
    dependency here: FastAPI runs a plain `def` dependency in a worker thread, a hop per request."""
    runtime: Runtime = request.app.state.runtime
    return runtime

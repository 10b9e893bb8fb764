"""What Prometheus reads from a service beyond the counters its code bumps: HTTP rate, errors and
duration per route template, and gauges computed at scrape time (the outbox's depth and oldest
row here; claims by status, lag and the like in a service's own `at_scrape` work)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import Counter, Histogram
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import get_logger
from shared.metrics import HTTP_REQUESTS, HTTP_SECONDS, OUTBOX_DEPTH, OUTBOX_OLDEST_AGE

log = get_logger("observability")

# Handed the app: its state holds the Runtime (pool, settings) and what a service caches there
# (the console's view of Kafka, shared with its pages).
ScrapeWork = Callable[[Starlette], Awaitable[None]]
# A scrape must answer even when the database or Kafka is slow (Prometheus gives up after 10 s
# by default): a gauge left at its last value is better than a scrape that loses every series.
SCRAPE_WORK_TIMEOUT_S = 5.0
UNMATCHED = "unmatched"  # a path no route serves: one label value, whatever a caller sends


class HttpMetrics:
    """ASGI middleware: requests_total by method, route template and status, and their duration."""

    def __init__(self, app: ASGIApp, service: str):
        self.app = app
        self.service = service
        # The labelled series, found once each: .labels() takes a lock and builds its key every call.
        # Bounded: methods are KNOWN_METHODS or OTHER, routes the app's templates or UNMATCHED.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the caller sees if the app raises before it answers

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_template(scope)
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            series = self._series.get((method, route, status))
            if series is None:
                series = (
                    HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                    HTTP_SECONDS.labels(self.service, method, route),
                )
                self._series[(method, route, status)] = series
            requests, seconds = series
            requests.inc()
            seconds.observe(time.perf_counter() - started)


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    # FastAPI's router leaves the matched route in the scope; its path is the template.
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


async def outbox_standing(app: Starlette) -> None:
    runtime = app.state.runtime
    async with runtime.pool.acquire(timeout=SCRAPE_WORK_TIMEOUT_S) as conn:
        row = await conn.fetchrow(
            "SELECT count(*) AS depth, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest FROM outbox"
        )
    OUTBOX_DEPTH.labels(runtime.name).set(row["depth"])
    OUTBOX_OLDEST_AGE.labels(runtime.name).set(float(row["oldest"]))


async def refresh_at_scrape(app: Starlette, work: Sequence[ScrapeWork]) -> None:
    """Runs each piece of scrape-time work side by side, each bounded; a failure is logged and
    leaves that gauge as it was."""

    async def bounded(one: ScrapeWork) -> None:
        try:
            await asyncio.wait_for(one(app), SCRAPE_WORK_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - the scrape answers with what it has
            log.warning("metrics.scrape_work_failed", work=getattr(one, "__name__", repr(one)), error=repr(exc))

    await asyncio.gather(*(bounded(one) for one in work))

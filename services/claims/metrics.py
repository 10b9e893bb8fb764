"""Claims' gauges, computed from its own tables when Prometheus scrapes /metrics."""

from __future__ import annotations

from typing import get_args

from prometheus_client import Gauge
from starlette.applications import Starlette

from services.claims import repository as repo
from services.claims.domain.claim import ClaimStatus
from shared.clock import today
from shared.contracts.vocabulary import ClaimType

CLAIMS = Gauge("jaring_claims", "Claims by current status", ["status"])
DEADLINES_BREACHED = Gauge(
    "jaring_claims_payment_deadline_breached",
    "Claims past their payment deadline and not paid, by claim type",
    ["claim_type"],
)


async def claims_standing(app: Starlette) -> None:
    async with app.state.runtime.pool.acquire(timeout=2) as conn:
        by_status = await repo.count_by_status(conn)
        breached = await repo.count_payment_deadlines_breached(conn, today())
    # Every status and type is set, 0 when none: a series that vanishes reads as "no data" in an
    # alert, and a count that fell to nothing must not linger at its last value.
    for status in {*(s.value for s in ClaimStatus), *by_status}:
        CLAIMS.labels(status).set(by_status.get(status, 0))
    for claim_type in {*get_args(ClaimType), *breached}:
        DEADLINES_BREACHED.labels(claim_type).set(breached.get(claim_type, 0))

"""What a filing costs in claims' HTTP edge (issue 17): N officers' filings, POST /v1/claims with an
Idempotency-Key as the bench sends them, one after the other through httpx.ASGITransport in this
process, on real PostgreSQL and Kafka started as the test suite starts them. The claims app runs
no consumers and no relay, so this process's CPU is the requests' (and the in-process client's).

    .venv/bin/python -m bench.edge --requests 2000 [--profile edge.prof]

Prints the wall time, this process's CPU per request and PostgreSQL's (the server's processes, its
backends' statements); with --profile, cProfile's statistics of the timed requests go to the file
(read them with `python -m pstats edge.prof`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from bench.cpu_parts import parse_stat
from bench.stack import cpu_seconds
from services.claims import handlers
from services.claims.app import build_spec
from services.claims.settings import ClaimsSettings
from shared.clock import today as makassar_today
from shared.contracts.enrollment import CoverageChanged, ParticipantDetails, ParticipantEnrolled, ProtectedPeriod
from shared.envelope import new_envelope
from tests.support.claimants import JKM_DEATH_DOCUMENTS, MARRIAGE_BOOK, claim_form
from tests.support.services import infra_settings, running
from tests.support.stack import kafka_for_tests, postgres_for_tests

WARM_UP = 50  # requests before the timed ones: first-use costs (statements prepared, types introspected)


async def known_participants(conn, count: int, today: date) -> list[str]:
    """`count` participants in claims' read model, covered today, as enrollment's events leave them."""
    at = datetime.now(UTC)
    ids = [f"P-edge{n:07d}" for n in range(count)]
    for participant_id in ids:
        details = ParticipantDetails(
            masked_nik="7371************",
            full_name="Sitti Rahmawati",
            birth_date=date(1980, 5, 17),
            sex="F",
            phone="+6281242001234",
            kecamatan="Tamalate",
            segment="market_trader",
            monthly_income=2_000_000,
            programs=["JKK", "JKM"],
            member_since=date(today.year - 1, 1, 5),
        )
        enrolled = ParticipantEnrolled(participant_id=participant_id, details=details, heirs=[])
        await handlers.on_participant_enrolled(
            conn, new_envelope(enrolled, correlation_id=participant_id, producer="enrollment", occurred_at=at), enrolled
        )
        coverage = CoverageChanged(
            participant_id=participant_id,
            status="active",
            as_of=today,
            paid_months=12,
            protected_periods=[ProtectedPeriod(start=date(today.year - 1, 1, 5), end=date(today.year + 1, 1, 31))],
        )
        await handlers.on_coverage_changed(
            conn, new_envelope(coverage, correlation_id=participant_id, producer="enrollment", occurred_at=at), coverage
        )
    return ids


async def measure(kafka: str, database_url: str, requests: int, profile: str | None) -> None:
    settings = ClaimsSettings(infra=infra_settings(kafka, database_url), consumers="none", run_relay=False)
    today = makassar_today()  # the service's calendar day
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's line per request is not the service's
    async with running(build_spec(settings)) as claims:
        async with claims.app.state.runtime.pool.acquire() as conn:  # type: ignore[attr-defined]
            participants = await known_participants(conn, WARM_UP + requests, today)
        forms = [claim_form(p, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}) for p in participants]

        async def file(form: dict) -> None:
            answer = await claims.post("/v1/claims", json=form, headers={"Idempotency-Key": f"edge-{uuid.uuid4()}"})
            assert answer.status_code == 202, answer.text

        for form in forms[:WARM_UP]:
            await file(form)
        async with claims.app.state.runtime.pool.acquire() as conn:  # type: ignore[attr-defined]
            postmaster = _parent(await conn.fetchval("SELECT pg_backend_pid()"))
        profiler = cProfile.Profile() if profile else None
        wall, cpu, pg_cpu = time.perf_counter(), time.process_time(), cpu_seconds(postmaster)
        if profiler:
            profiler.enable()
        for form in forms[WARM_UP:]:
            await file(form)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        pg_cpu = cpu_seconds(postmaster) - pg_cpu
        print(
            f"{requests} filings: {wall:.2f} s wall, {wall / requests * 1e3:.2f} ms each; "
            f"this process's CPU {cpu:.2f} s, {cpu / requests * 1e3:.2f} ms each (client included); "
            f"PostgreSQL's {pg_cpu:.2f} s, {pg_cpu / requests * 1e3:.2f} ms each"
            + (" (under cProfile)" if profiler else "")
        )
        if profiler and profile:
            profiler.dump_stats(profile)


def _parent(pid: int) -> int:
    """The parent of a process: a backend's is PostgreSQL's postmaster, whose tree is the server's CPU."""
    return parse_stat(Path(f"/proc/{pid}/stat").read_text())[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", help="write cProfile's statistics of the timed requests to this file")
    args = parser.parse_args()
    os.environ.setdefault("CLAIMS_BANK_CLIENT_SECRET", "jaring-edge-bench-bank-secret-not-for-production")
    with kafka_for_tests() as kafka, postgres_for_tests() as database_url:
        asyncio.run(measure(kafka, database_url, args.requests, args.profile))


if __name__ == "__main__":
    main()

"""Running Jaring services in tests, on the real Kafka and PostgreSQL of the session."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx

from shared.auth import issue_token
from shared.service import ServiceSpec, create_app
from shared.settings import InfraSettings

TEST_SECRET = "jaring-test-secret-not-for-production"


def infra_settings(kafka_bootstrap: str, database_url: str, **extra: Any) -> InfraSettings:
    from tests.support.external import skip_in_process_services

    skip_in_process_services()  # against an external stack (JARING_*_URL) nothing runs in this process
    return InfraSettings(
        kafka_bootstrap_servers=kafka_bootstrap, database_url=database_url, jaring_auth_secret=TEST_SECRET, **extra
    )


def token(role: str = "officer", subject: str | None = None) -> str:
    from tests.support.external import external_stack

    # Against an external stack (tests/support/external.py), its own key signs.
    secret = os.environ.get("JARING_AUTH_SECRET") or TEST_SECRET if external_stack() else TEST_SECRET
    return issue_token(secret, subject or f"test-{role}", role)


def auth(role: str = "officer", subject: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject)}"}


@asynccontextmanager
async def running(spec: ServiceSpec, role: str = "officer") -> AsyncIterator[httpx.AsyncClient]:
    """The service's app with its lifespan (migrations, relay, consumers) running in this process."""
    app = create_app(spec)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=auth(role), timeout=30
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def random_nik(birth_date: date, sex: str, district: str = "737103") -> str:
    day = birth_date.day + (40 if sex == "F" else 0)
    return f"{district}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{random.randint(1, 9999):04d}"


def random_birth_date(rng: random.Random | None = None) -> date:
    """Aged 20 to 60 today: inside the BPU age limits at membership start (15 to 65,
    services/reported_rules.py) for any member_since of the last five years."""
    rng = rng or random
    return date(date.today().year - rng.randint(20, 60), rng.randint(1, 12), rng.randint(1, 28))


def participant_form(**overrides: Any) -> dict[str, Any]:
    birth_date = overrides.pop("birth_date", None) or random_birth_date()
    sex = overrides.pop("sex", "F")
    form: dict[str, Any] = {
        "nik": random_nik(birth_date, sex),
        "full_name": "Sitti Rahmawati",
        "birth_date": birth_date.isoformat(),
        "sex": sex,
        "phone": "0812-4200-1234",
        "address": "Jl. Sultan Alauddin No. 12",
        "kecamatan": "Tamalate",
        "segment": "market_trader",
        "monthly_income": 2_000_000,
        "programs": ["JKK", "JKM"],
        "heirs": [
            {"full_name": "Andi Baso", "relationship": "spouse", "phone": "+6281342001111"},
            {"full_name": "Nurul Aisyah", "relationship": "child", "email": "nurul@example.id", "language": "en"},
        ],
    }
    form.update(overrides)
    return form


# Short polls and back-offs: the tests wait on conditions, not on the defaults' production pace.
FAST: dict[str, Any] = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)


@asynccontextmanager
async def enrollment_and_claims(
    kafka_bootstrap: str, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Enrollment and claims (every consumer, and the relay) in this process: their clients."""
    # Imported here: the other helpers of this module serve every service's tests.
    from services.claims.app import build_spec as claims_spec
    from services.claims.settings import ClaimsSettings
    from services.enrollment.app import build_spec as enrollment_spec
    from services.enrollment.settings import EnrollmentSettings

    infra = infra_settings(kafka_bootstrap, database_url)
    async with (
        running(enrollment_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0, **FAST))) as enrollment,
        running(claims_spec(ClaimsSettings(infra=infra, **FAST))) as claims,
    ):
        yield enrollment, claims

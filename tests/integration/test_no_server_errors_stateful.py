"""Stateful fuzzing: schemathesis' state machine follows the OpenAPI links from each creation (a
participant registered, an import started, a claim filed, heirs named, a grievance filed) to the
operations on what it created, with a supervisor's token, against enrollment, claims and grievances
running as processes on the real Kafka and PostgreSQL. Every answer must be no 5xx and conform to
the schema: a documented status, its content type (problem documents included) and its body.

A creation's body is made valid here (a NIK that passes, a covered participant to claim for):
schema-valid random bodies break the domain's rules, are refused with a 422, and leave no id
for a link to follow. The stateless run (test_no_server_errors.py) fuzzes the bodies themselves.
5 × JARING_FUZZ_EXAMPLES scenarios per service (default 4) of up to STEPS calls each keep it near a
minute; JARING_FUZZ_EXAMPLES=100 for a longer hunt."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.claims.api import CLAIM_LINKS
from services.enrollment.api import PARTICIPANT_LINKS
from services.grievances.api import GRIEVANCE_LINKS
from shared.clock import today as clock_today
from shared.contracts.grievances import GRIEVANCE_CATEGORIES
from tests.support.claimants import JKM_DEATH_DOCUMENTS, MARRIAGE_BOOK, SPOUSE, claim_form, covered_participant
from tests.support.processes import ServiceProcess
from tests.support.services import auth, participant_form, token

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("JARING_FUZZ_EXAMPLES", "4"))
SCENARIOS = 5 * EXAMPLES  # per service: every operation that answers with a link may start one
STEPS = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
Bodies = dict[tuple[str, str], Callable[[], dict[str, Any]]]


def explore(base_url: str, bearer: str, bodies: Bodies) -> Counter[str]:
    """Runs the service's state machine; answers how often each link was followed to a 2xx."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    session = requests.Session()
    followed: Counter[str] = Counter()

    class Scenario(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case):
            # A valid token every time: the generated bearer values are the stateless run's business.
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {bearer}"}
            make = bodies.get((case.method.upper(), case.path))
            if make is not None:
                case.body = make()

        def get_call_kwargs(self, case):
            return {"base_url": base_url, "session": session, "timeout": 30, "allow_redirects": False}

        def step(self, input):
            output = super().step(input)
            if input.transition is not None and input.is_applied and output.response.status_code < 300:
                followed[input.transition.id.split(" -> ")[1].split("] ")[-1]] += (
                    1  # "POST /v1/x -> [201] GetX -> GET …"
                )
            return output

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    # The state machine draws from what the services answered; when their state moved under a
    # replay, hypothesis stops with FlakyStrategyDefinition, a fault of the harness, not of an answer
    # (a 5xx or a schema mismatch is a different error and fails at once). One more run, new draws.
    for attempt in range(2):
        try:
            Scenario.run(
                settings=settings(
                    max_examples=SCENARIOS,
                    stateful_step_count=STEPS,
                    deadline=None,
                    database=None,
                    derandomize=attempt == 0,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
            break
        except FlakyStrategyDefinition:
            if attempt:
                raise
    return followed


@pytest.fixture
async def services(kafka_bootstrap, database_url, tmp_path):
    enrollment = ServiceProcess(
        "enrollment", kafka_bootstrap, database_url, tmp_path, ENROLLMENT_COVERAGE_SWEEP_SECONDS="0"
    )
    claims = ServiceProcess("claims", kafka_bootstrap, database_url, tmp_path)
    grievances = ServiceProcess(
        "grievances", kafka_bootstrap, database_url, tmp_path, GRIEVANCES_CLAIMS_BASE_URL=claims.url
    )
    started = (enrollment, claims, grievances)
    try:
        await asyncio.gather(*(s.start(timeout=120) for s in started))
        yield {s.name: s for s in started}
    finally:
        for s in started:
            s.stop()


async def covered_participants(enrollment_url: str, claims_url: str, today: date, count: int) -> list[str]:
    """Participants claims knows as covered today, one per claim the run may file."""
    async with (
        httpx.AsyncClient(base_url=enrollment_url, headers=auth("supervisor"), timeout=30) as enrollment,
        httpx.AsyncClient(base_url=claims_url, headers=auth("supervisor"), timeout=30) as claims,
    ):
        return list(
            await asyncio.gather(
                *(
                    covered_participant(
                        enrollment, claims, today, member_since=date(today.year - 1, today.month, 1), heirs=[SPOUSE]
                    )
                    for _ in range(count)
                )
            )
        )


async def test_following_links_from_each_creation_finds_no_5xx_and_every_answer_fits_the_schema(services):
    today = clock_today()
    enrollment, claims = services["enrollment"], services["claims"]
    # A claim per scenario and one more; after that a filing meets the 409 of a death claimed already.
    participants = itertools.cycle(await covered_participants(enrollment.url, claims.url, today, EXAMPLES + 1))
    bodies: dict[str, Bodies] = {
        "enrollment": {("POST", "/v1/participants"): participant_form},
        "claims": {
            ("POST", "/v1/claims"): lambda: claim_form(
                next(participants), "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}
            )
        },
        "grievances": {
            ("POST", "/v1/grievances"): lambda: {
                "category": GRIEVANCE_CATEGORIES[2],
                "text": "Santunan belum sampai ke keluarga.",
                "participant_id": next(participants),
            }
        },
    }
    followed = {
        name: await asyncio.to_thread(explore, service.url, token("supervisor"), bodies[name])
        for name, service in services.items()
    }

    # The links were followed, not only declared: in each service, one of its creation's links at
    # least led to a 2xx on what the creation made (which ones depends on the draw).
    declared = {"enrollment": PARTICIPANT_LINKS, "claims": CLAIM_LINKS, "grievances": GRIEVANCE_LINKS}
    for name, links in declared.items():
        assert sum(followed[name][link] for link in links) > 0, (name, followed)

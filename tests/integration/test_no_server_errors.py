"""No 5xx from fuzzing: schemathesis drives every operation of every service's OpenAPI, valid
and invalid requests, against the services running as processes on the real Kafka and
PostgreSQL. A bounded number of examples per operation keeps it within `make test`."""

from __future__ import annotations

import asyncio
import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.processes import ServiceProcess
from tests.support.services import token

pytestmark = pytest.mark.integration

# Examples per operation and generation mode; JARING_FUZZ_EXAMPLES=200 for a longer hunt.
EXAMPLES = int(os.environ.get("JARING_FUZZ_EXAMPLES", "4"))
SERVICES = ("enrollment", "claims", "notifications", "grievances", "console")


def fuzz(base_url: str, bearer: str) -> tuple[int, list[str]]:
    """(requests sent, the ones answered 5xx) over every operation of the service's schema."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {bearer}"
    sent, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:

            @given(operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case) -> None:
                nonlocal sent
                response = case.call(base_url=base_url, session=session, timeout=30, allow_redirects=False)
                sent += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{response.status_code} {case.method} {case.formatted_path} "
                        f"query={case.query!r} body={str(case.body)[:200]!r}: {response.text[:300]}"
                    )

            try:
                call()
            except Unsatisfiable:
                pass  # nothing to make invalid (an operation without parameters): the positive run covers it
    return sent, failures


@pytest.fixture
async def services(kafka_bootstrap, database_url, tmp_path):
    started = [
        ServiceProcess(name, kafka_bootstrap, database_url, tmp_path, ENROLLMENT_COVERAGE_SWEEP_SECONDS="0")
        for name in SERVICES
    ]
    try:
        await asyncio.gather(*(s.start(timeout=120) for s in started))
        yield {s.name: s for s in started}
    finally:
        for s in started:
            s.stop()


async def test_no_operation_of_any_service_answers_5xx_to_fuzzed_requests(services):
    report: dict[str, tuple[int, list[str]]] = {}
    for name, service in services.items():
        for role in ("supervisor", "operator"):
            report[f"{name} as {role}"] = await asyncio.to_thread(fuzz, service.url, token(role))
    failures = [f"{who}: {failure}" for who, (_, found) in report.items() for failure in found]
    assert not failures, "\n".join(failures[:30])
    assert all(sent > 0 for sent, _ in report.values()), report

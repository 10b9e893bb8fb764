"""The console shows what the services' outboxes set aside, on the real stack: enrollment's relay
quarantines an event Kafka refuses (1.2 MB, over the broker's 1 MiB), and the console's JSON and
flows page list it with its key masked, count it in the headline (not green), and show the
services that do not answer as unknown, not as zero."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from services.enrollment.app import build_spec
from services.enrollment.settings import EnrollmentSettings
from shared.contracts.enrollment import ContributionRecorded
from shared.envelope import new_envelope
from shared.outbox import add_event
from shared.topics import PARTICIPANTS
from tests.support.console import console, served
from tests.support.kafka_tools import wait_until
from tests.support.services import infra_settings, running, token

pytestmark = pytest.mark.integration

NIK = "7371034506920001"


@pytest.fixture
async def scene(kafka_bootstrap, database_url):
    """Enrollment (its relay running) over HTTP, and a console that knows it; claims,
    notifications and grievances point at a port where nothing answers."""
    settings = EnrollmentSettings(
        infra=infra_settings(kafka_bootstrap, database_url), outbox_poll_seconds=0.2, coverage_sweep_seconds=0
    )
    async with (
        running(build_spec(settings)) as enrollment,
        served(enrollment.app) as enrollment_url,
        console(
            kafka_bootstrap, database_url, enrollment_url=enrollment_url, name=f"console_{uuid.uuid4().hex[:8]}"
        ) as c,
    ):
        yield enrollment.app.state.runtime, c


@contextlib.asynccontextmanager
async def signed_in(url: str, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in to the console with a role token, in English."""
    async with httpx.AsyncClient(base_url=url, timeout=30, cookies={"jaring_console_lang": "en"}) as browser:
        form = await browser.get("/signin")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
        signed = await browser.post("/signin", data={"token": token(role, f"test-{role}"), "nonce": nonce})
        assert signed.status_code == 303, signed.text
        yield browser


async def test_an_event_kafka_refused_is_listed_masked_and_keeps_the_flows_headline_off_green(scene):
    runtime, c = scene
    participant_id = f"P-{NIK}"  # a key holding a NIK: the console must not show it whole
    payload = ContributionRecorded(
        participant_id=participant_id,
        contribution_id="C" * 1_200_000,
        period="2026-11",
        amount=16_800,
        payer="self",
        paid_at=date(2026, 11, 24),
    )
    oversized = new_envelope(payload, correlation_id=participant_id, producer="enrollment")
    async with runtime.pool.acquire() as conn, conn.transaction():
        await add_event(conn, oversized, "enrollment", topic=PARTICIPANTS)
    try:

        async def held() -> bool:
            return bool(
                await runtime.pool.fetchval("SELECT 1 FROM outbox_quarantine WHERE event_id = $1", oversized.event_id)
            )

        await wait_until(held, 60, "enrollment's relay to quarantine the oversized event")

        async with c.client("operator") as operator:
            answer = await operator.get("/v1/quarantine")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert NIK not in answer.text
        assert body["services"]["enrollment"] >= 1 and body["total"] >= 1
        assert body["services"]["claims"] is None and set(body["unknown"]) == {"claims", "notifications", "grievances"}
        mine = [e for e in body["events"] if e["service"] == "enrollment" and e["key"] == "P-7371" + "*" * 12]
        assert len(mine) == 1
        assert mine[0]["event_type"] == "ContributionRecorded" and mine[0]["topic"] == PARTICIPANTS.name
        assert mine[0]["reason"].startswith("refused by Kafka: MessageSizeTooLargeError")
        assert mine[0]["size_bytes"] > 1_200_000

        async with c.client("officer") as officer:
            assert (await officer.get("/v1/quarantine")).status_code == 403

        async with signed_in(c.url, "operator") as browser:
            page = await browser.get("/flows")
        assert page.status_code == 200
        assert NIK not in page.text
        summary = re.search(
            r'<p class="summary ([a-z]+)"[^>]*data-health="([a-z_]+)" data-quarantined="(\d+)"', page.text
        )
        assert summary is not None, page.text[:2000]
        assert summary.group(1, 2) == ("bad", "quarantined") and int(summary.group(3)) == body["total"]
        assert re.search(r'<tr data-held-service="enrollment" data-held-key="P-7371\*{12}">', page.text)
        assert "refused by Kafka: MessageSizeTooLargeError" in page.text
        assert re.search(
            r'data-quarantine-service="claims" data-count="">claims: <span class="warn">unknown', page.text
        )
    finally:  # the enrollment schema is shared by the session's other tests
        await runtime.pool.execute("DELETE FROM outbox_quarantine WHERE event_id = $1", oversized.event_id)

    # Set aside no more, and the other services still unknown: the headline says so, not green.
    async with signed_in(c.url, "operator") as browser:
        panel = await browser.get("/flows/panel")
    assert 'data-health="green"' not in panel.text
    assert re.search(r'data-quarantine-service="enrollment" data-count="0"', panel.text)

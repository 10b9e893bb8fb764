"""What a service's HTTP edge refuses, and how: too long (422 naming the field), too large (413),
NUL bytes and negative limits (422, not 500), never echoing what was sent; and how it reports
events its outbox had to quarantine. Enrollment on the real PostgreSQL and Kafka."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services.enrollment.app import build_spec
from services.enrollment.settings import EnrollmentSettings
from shared.contracts.enrollment import ContributionRecorded
from shared.envelope import new_envelope
from shared.outbox import add_event
from shared.topics import PARTICIPANTS
from tests.support.kafka_tools import wait_until
from tests.support.privacy import full_niks_in
from tests.support.services import auth, infra_settings, participant_form, running

pytestmark = pytest.mark.integration

BODY_CAP = 4_000  # bytes, this test's max_body_bytes
IMPORT_CAP = 20_000  # bytes, this test's import_max_bytes


@pytest.fixture
async def enrollment(kafka_bootstrap, database_url):
    settings = EnrollmentSettings(
        infra=infra_settings(kafka_bootstrap, database_url),
        outbox_poll_seconds=0.2,
        coverage_sweep_seconds=0,
        max_body_bytes=BODY_CAP,
        import_max_bytes=IMPORT_CAP,
    )
    async with running(build_spec(settings)) as client:
        yield client


async def test_a_too_long_field_is_422_naming_the_field_and_nothing_is_written(enrollment):
    form = participant_form(full_name="A" * 201, address="Jl. " + "x" * 300)
    form["heirs"][0]["full_name"] = "B" * 201
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 422
    errors = {tuple(e["loc"]): e["type"] for e in answer.json()["errors"]}
    assert errors == {
        ("body", "full_name"): "string_too_long",
        ("body", "address"): "string_too_long",
        ("body", "heirs", 0, "full_name"): "string_too_long",
    }
    assert (await enrollment.get("/v1/participants", params={"q": "A" * 30})).json() == []


async def test_a_422_names_field_and_rule_but_echoes_no_value_nor_nik(enrollment):
    form = participant_form(birth_date=date(1990, 5, 17), sex="F")
    nik = form["nik"]
    form.update(birth_date="17-05-1990", monthly_income="dua juta", programs="JKK", phone="0812" * 20)
    form["heirs"][1]["language"] = nik  # a NIK where it does not belong: still not echoed
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    detail = answer.json()["errors"]
    assert {tuple(e["loc"]) for e in detail} >= {
        ("body", "birth_date"),
        ("body", "monthly_income"),
        ("body", "programs"),
        ("body", "phone"),
    }
    assert all(set(e) == {"loc", "msg", "type"} for e in detail)
    assert not full_niks_in(answer.text)
    for sent in ("17-05-1990", "dua juta", "0812" * 20, nik, nik[:8]):
        assert sent not in answer.text

    # The domain's own rules (a NIK whose date does not match the birth date) do not echo it either.
    form = participant_form(birth_date=date(1990, 5, 17), sex="F", nik="7371031705900001")  # coded male
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 422, answer.text
    assert not full_niks_in(answer.text)


async def test_bodies_over_the_cap_are_413_declared_or_streamed(enrollment):
    big = {"full_name": "x" * BODY_CAP}
    declared = await enrollment.patch("/v1/participants/P-none", json=big)
    assert declared.status_code == 413

    async def chunks():  # no Content-Length: the cap is enforced as the body streams in
        for _ in range(10):
            yield b"x" * 1_000

    streamed = await enrollment.post("/v1/participants", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


async def test_the_csv_import_has_its_own_cap(enrollment):
    header = "nik,full_name,birth_date,sex,phone,address,kecamatan,segment,monthly_income\n"
    row = "123,Nama Terlalu Pendek NIK-nya,1990-01-01,F,0812,Jl. Ujung,Tamalate,market_trader,2000000\n"
    within = header + row * ((IMPORT_CAP - len(header)) // len(row))  # above the body cap, below the import's
    assert BODY_CAP < len(within.encode()) <= IMPORT_CAP
    answer = await enrollment.post("/v1/imports", content=within.encode(), headers={"content-type": "text/csv"})
    assert answer.status_code == 202, answer.text

    over = within + row * 10
    answer = await enrollment.post("/v1/imports", content=over.encode(), headers={"content-type": "text/csv"})
    assert answer.status_code == 413


async def test_nul_bytes_and_negative_limits_are_422_not_500(enrollment):
    answer = await enrollment.get("/v1/participants", params={"q": "Sit\x00ti"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["type"] == "no_nul_byte"
    answer = await enrollment.post("/v1/participants", json=participant_form(kecamatan="Tama\x00late"))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "loc": ["body", "kecamatan"],
            "type": "no_nul_byte",
            "msg": "no_nul_byte: text may not contain a NUL byte (\\u0000)",
        }
    ]
    answer = await enrollment.get("/v1/outbox/quarantine", params={"limit": -1}, headers=auth("operator"))
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == ["query", "limit"]


async def test_a_quarantined_event_makes_health_degraded_and_operators_see_it(enrollment):
    runtime = enrollment.app.state.runtime
    payload = ContributionRecorded(
        participant_id="P-quarantine",
        contribution_id="C" * 1_200_000,
        period="2026-11",
        amount=16_800,
        payer="self",
        paid_at=date(2026, 11, 24),
    )
    oversized = new_envelope(payload, correlation_id="P-quarantine", producer="enrollment")
    async with runtime.pool.acquire() as conn, conn.transaction():
        await add_event(conn, oversized, "enrollment", topic=PARTICIPANTS)
    try:

        async def held() -> bool:
            return bool(
                await runtime.pool.fetchval("SELECT 1 FROM outbox_quarantine WHERE event_id = $1", oversized.event_id)
            )

        await wait_until(held, 30, "the relay to quarantine the oversized event")
        health = (await enrollment.get("/health", headers={"Authorization": ""})).json()
        assert health["status"] == "degraded" and health["outbox_quarantined"] >= 1
        assert all(health["checks"].values())

        listed = await enrollment.get("/v1/outbox/quarantine", headers=auth("operator"))
        assert listed.status_code == 200
        event = next(e for e in listed.json()["events"] if e["event_id"] == str(oversized.event_id))
        assert event["reason"].startswith("refused by Kafka: MessageSizeTooLargeError")
        assert event["event_type"] == "ContributionRecorded" and event["size_bytes"] > 1_200_000
        assert "body" not in event
        assert (await enrollment.get("/v1/outbox/quarantine", headers=auth("officer"))).status_code == 403

        metrics = (await enrollment.get("/metrics")).text
        assert re.search(r'^jaring_outbox_quarantined\{service="enrollment"\} [1-9]', metrics, re.M)
    finally:  # the enrollment schema is shared by the session's other tests
        await runtime.pool.execute("DELETE FROM outbox_quarantine WHERE event_id = $1", oversized.event_id)

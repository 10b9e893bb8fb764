"""Issue 19: the campaign's figures from a generated population, computed here by hand: enrolments
against the +45,000 target by kecamatan and segment, retention of self-paid workers at 3, 6 and 12
months, lapses prevented by reminders. Enrollment runs on real PostgreSQL (a database of this test
alone, so the population is exactly the one below) and real Kafka."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import pytest

from services.enrollment import api as enrollment_api
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from tests.support.services import auth, infra_settings, participant_form, running

pytestmark = pytest.mark.integration

AS_OF = "2026-11-15"


def due(period: str, payer: str = "self") -> int:
    """A market trader declaring Rp 2,000,000: JKK 1 % = 20,000 + JKM 6,800 = 26,800 a month;
    PP 50/2025 halves it for a self-paid non-driver from April to December 2026: 13,400."""
    return 13_400 if payer == "self" and "2026-04" <= period <= "2026-12" else 26_800


def months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# name: (member_since, kecamatan, segment, payer, months paid; each paid on its first day or on joining)
POPULATION = {
    "W1": ("2025-01-10", "Mariso", "market_trader", "self", months("2025-01", "2026-10")),
    "W2": ("2025-06-01", "Mariso", "market_trader", "self", months("2025-06", "2025-08")),
    "W3": ("2026-01-15", "Mariso", "market_trader", "self", ["2026-01"]),
    "W4": ("2026-08-01", "Mariso", "market_trader", "self", months("2026-08", "2026-11")),
    "W5": ("2026-10-01", "Tallo", "daily_worker", "self", ["2026-10"]),
    "W6": ("2025-03-01", "Tallo", "daily_worker", "self", months("2025-03", "2025-05") + months("2025-09", "2026-03")),
    "L1": ("2026-06-01", "Tallo", "daily_worker", "self", months("2026-06", "2026-09")),
    "L2": ("2026-06-01", "Tallo", "daily_worker", "self", months("2026-06", "2026-09")),
    "C1": ("2025-01-01", "Mariso", "market_trader", "city", months("2025-01", "2026-10")),
}


@pytest.fixture
async def own_database(database_url):
    name = f"campaign_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _db = database_url.rpartition("/")
    query = ""
    if "?" in _db:
        query = "?" + _db.split("?", 1)[1]
    yield f"{base}/{name}{query}"


async def test_the_campaign_figures_of_a_generated_population(kafka_bootstrap, own_database, monkeypatch):
    # The scenario's calendar: it is 15 November 2026 in Makassar. Coverage is worked out on the day
    # a contribution is recorded, and a sweep does not move it back, so on the real calendar the
    # October sweep below found L1 and L2 lapsed from 1 December 2026 on, and reminded nobody.
    monkeypatch.setattr(enrollment_api, "today", lambda: date.fromisoformat(AS_OF))
    # No consumers: this enrollment's own database must not take events meant for the session's.
    settings = EnrollmentSettings(
        infra=infra_settings(kafka_bootstrap, own_database),
        consumers="none",
        coverage_sweep_seconds=0,
        outbox_poll_seconds=0.2,
    )
    async with running(enrollment_spec(settings)) as enrollment:
        ids = {}
        for name, (since, kecamatan, segment, payer, paid) in POPULATION.items():
            form = participant_form(
                full_name=f"Pekerja {name}",
                member_since=since,
                kecamatan=kecamatan,
                segment=segment,
                monthly_income=2_000_000,
                heirs=[],
            )
            enrolled = await enrollment.post("/v1/participants", json=form)
            assert enrolled.status_code == 201, enrolled.text
            ids[name] = enrolled.json()["participant_id"]
            for period in paid:
                paid_at = max(f"{period}-01", since)
                recorded = await enrollment.post(
                    f"/v1/participants/{ids[name]}/contributions",
                    json={"period": period, "amount": due(period, payer), "payer": payer, "paid_at": paid_at},
                )
                assert recorded.status_code == 201, (name, period, recorded.text)

        # 10 October 2026: L1 and L2 last paid September, so October is their first grace month:
        # both are reminded. L1 then pays October on the 20th, within grace: a lapse prevented.
        swept = await enrollment.post("/v1/coverage/sweep", params={"as_of": "2026-10-10"}, headers=auth("supervisor"))
        assert swept.status_code == 200, swept.text
        reminders = (await enrollment.get("/v1/reminders")).json()
        assert reminders["by_kecamatan"] == {"Tallo": {"first_grace_month": 2, "before_lapse": 0}}
        recorded = await enrollment.post(
            f"/v1/participants/{ids['L1']}/contributions",
            json={"period": "2026-10", "amount": due("2026-10"), "payer": "self", "paid_at": "2026-10-20"},
        )
        assert recorded.status_code == 201, recorded.text

        campaign = (await enrollment.get("/v1/campaign", params={"year": 2026, "as_of": AS_OF})).json()

    assert campaign["target"] == 45_000
    # Newly covered in 2026: first protected day in 2026 — W3 (15 Jan), W4 (1 Aug), W5 (1 Oct),
    # L1 and L2 (1 Jun); W1, W2, W6 and C1 were first covered in 2025.
    assert campaign["newly_covered"] == 5
    by = {(r["kecamatan"], r["segment"]): r["newly_covered"] for r in campaign["by_kecamatan_segment"]}
    assert by == {("Mariso", "market_trader"): 2, ("Tallo", "daily_worker"): 3}
    assert campaign["progress"] == round(5 / 45_000, 4)

    # Retention on 15 November 2026, self-paid workers only (C1 is the city's):
    #  3 months: joined by 15 Aug 2026 -> W1 W2 W3 W4 W6 L1 L2 (7). Covered 3 months in:
    #    W1 (10 Apr 2025, paid), W2 (1 Sep 2025, paid Aug: grace), W4 (1 Nov 2026, paid),
    #    W6 (1 Jun 2025, paid May: grace), L1 and L2 (1 Sep 2026, paid); W3 (15 Apr 2026,
    #    last paid Jan: lapsed since 1 Apr) is not -> 6 of 7.
    #  6 months: joined by 15 May 2026 -> W1 W2 W3 W6 (4): W1 (10 Jul 2025) and W6 (1 Sep 2025,
    #    Sep paid that day) covered; W2 (1 Dec 2025, lapsed since 1 Nov) and W3 not -> 2 of 4.
    # 12 months: joined by 15 Nov 2025 -> W1 W2 W6 (3): W1 (10 Jan 2026) and W6 (1 Mar 2026)
    #    covered, W2 not -> 2 of 3.
    assert campaign["retention"] == {
        "3": {"cohort": 7, "still_covered": 6, "share": round(6 / 7, 4)},
        "6": {"cohort": 4, "still_covered": 2, "share": round(2 / 4, 4)},
        "12": {"cohort": 3, "still_covered": 2, "share": round(2 / 3, 4)},
    }
    # Two workers reminded, one paid within grace after it.
    assert campaign["reminded_runs"] == 2
    assert campaign["lapses_prevented"] == 1

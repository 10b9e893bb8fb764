"""The campaign's figures beyond enrolments (issue 19): retention of self-paid workers and lapses
prevented by reminders. The rules: domain/campaign.py; docs/outreach.md."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.enrollment import repository as repo
from services.enrollment.domain import Period
from services.enrollment.domain.balances import complete_payments, month_balances
from services.enrollment.domain.campaign import Joiner, retention
from services.enrollment.domain.contributions import contribution_due
from services.enrollment.domain.income import income_in


async def growth(conn: asyncpg.Connection, as_of: date) -> dict[str, Any]:
    joiners = []
    for person in await repo.self_paid_histories(conn):

        def due_for(month: Period, person: dict = person) -> int:
            return contribution_due(
                income_in(person["income_history"], month), person["programs"], person["segment"], "self", month
            ).total

        payments = complete_payments(month_balances(person["paid"], due_for))
        joiners.append(Joiner(person["member_since"], payments))
    return {
        "retention": {
            str(r.months): {"cohort": r.cohort, "still_covered": r.still_covered, "share": r.share}
            for r in retention(joiners, as_of)
        },
        "reminded_runs": await repo.reminded_runs(conn),
        "lapses_prevented": await repo.lapses_prevented(conn, as_of),
    }

"""Reminders before cover lapses, STOP, and the city's list of missing payments (the rules:
domain/reminders.py; docs/outreach.md). Run by the coverage sweep, after coverage moved on."""

from __future__ import annotations

from datetime import date

import asyncpg
from prometheus_client import Counter

from services.enrollment import repository as repo
from services.enrollment.domain import Period
from services.enrollment.domain.contributions import contribution_due
from services.enrollment.domain.income import income_in
from services.enrollment.domain.reminders import amount_owed, is_stop, months_owed, reminder_due
from services.enrollment.handlers import emit, month_balances_of
from shared.contracts.enrollment import ContributionReminderDue
from shared.contracts.inbound import InboundMessageReceived
from shared.envelope import Envelope

REMINDERS = Counter(
    "jaring_contribution_reminders", "Reminders before cover lapses, by kecamatan and kind", ["kecamatan", "kind"]
)


async def send_contribution_reminders(pool: asyncpg.Pool, as_of: date) -> int:
    """One transaction per worker: the reminder row and its event commit together."""
    async with pool.acquire() as conn:
        candidates = await repo.reminder_candidates(conn, as_of)
    sent = 0
    for candidate in candidates:
        async with pool.acquire() as conn, conn.transaction():
            reminded = await _remind(conn, candidate, as_of)
        if reminded is not None:  # the metric moves once the transaction committed
            REMINDERS.labels(*reminded).inc()
            sent += 1
    return sent


async def _remind(conn: asyncpg.Connection, candidate: dict, as_of: date) -> tuple[str, str] | None:
    """(kecamatan, kind) of the reminder queued, or None."""
    participant_id = candidate["participant_id"]
    recorded = await repo.contributions_paid(conn, participant_id)
    if not recorded or candidate["last_paid_period"] is None:
        return None
    last_paid = Period.parse(candidate["last_paid_period"])
    payers = [payer for paid, payer in recorded if paid.period == last_paid] or [recorded[-1][1]]
    if payers[-1] == "city":
        return None  # the city pays: its programme office has the list (GET /v1/city-payments/missing)
    kind = reminder_due(
        last_paid, candidate["grace_until"], as_of, await repo.reminders_sent(conn, participant_id, str(last_paid))
    )
    if kind is None:
        return None
    participant = await repo.load_participant(conn, participant_id, for_update=True)
    months = months_owed(last_paid, as_of)
    paid_towards = {b.period: b.paid + b.credit_in for b in await month_balances_of(conn, participant_id)}

    def due_for(month: Period) -> int:
        return contribution_due(
            income_in(participant["income_history"], month),
            participant["programs"],
            participant["segment"],
            "self",
            month,
        ).total

    amount = amount_owed(months, due_for, paid_towards)
    if not await repo.insert_reminder(
        conn, participant_id, str(last_paid), kind, as_of, amount, candidate["grace_until"], participant["kecamatan"]
    ):
        return None
    await emit(
        conn,
        ContributionReminderDue(
            participant_id=participant_id,
            kind=kind,
            last_paid_period=str(last_paid),
            months=[str(m) for m in months],
            amount_due=amount,
            cover_ends_on=candidate["grace_until"],
            kecamatan=participant["kecamatan"],
        ),
        participant_id,
    )
    return participant["kecamatan"], kind


async def on_inbound_message(conn: asyncpg.Connection, env: Envelope, event: InboundMessageReceived) -> None:
    """ "STOP" from a worker's phone ends the reminders for that worker; other messages are not ours."""
    if not is_stop(event.text):
        return
    for participant_id in await repo.participants_with_phone(conn, event.sender):
        await repo.stop_reminders(conn, participant_id, event.received_at, event.channel)

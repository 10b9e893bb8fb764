"""Enrollment's use cases: parse → domain rules → repository + outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.enrollment import repository as repo
from services.enrollment.domain import (
    Period,
    Registration,
    check_payment,
    coverage_on,
    normalize_phone,
    register_participant,
    validate_heirs,
)
from services.enrollment.domain.balances import MonthBalance, Paid, complete_payments, month_balances
from services.enrollment.domain.contributions import contribution_due
from services.enrollment.domain.coverage import Coverage, coverage_at_death
from services.enrollment.domain.duplicates import likely_duplicates
from services.enrollment.domain.income import IncomeChange, change_income, income_in
from shared.auth import Actor
from shared.consuming import Batched, Delivery, PoisonMessage
from shared.contracts.claims import DeathConfirmed, HeirsNamedOnClaim
from shared.contracts.enrollment import (
    ContributionRecorded,
    CoverageChanged,
    HeirData,
    HeirsChanged,
    IncomeFrom,
    ParticipantDetails,
    ParticipantDetailsChanged,
    ParticipantEnrolled,
    ProtectedPeriod,
)
from shared.db import record_audit
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.errors import Conflict, FieldError, RuleViolation
from shared.outbox import add_event, add_events

SERVICE = "enrollment"
# Identity fields come from the KTP: a correction is a new registration reviewed by BPJS, not a PATCH.
IMMUTABLE_FIELDS = ("nik", "birth_date", "sex", "member_since")
EDITABLE_FIELDS = (
    "full_name",
    "phone",
    "address",
    "kecamatan",
    "segment",
    "monthly_income",
    "income_effective_from",
    "programs",
)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def emit(
    conn: asyncpg.Connection, payload: EventPayload, participant_id: str, causation_id: str | None = None
) -> None:
    await add_event(
        conn, new_envelope(payload, correlation_id=participant_id, producer=SERVICE, causation_id=causation_id), SERVICE
    )


def details_of(participant: dict[str, Any]) -> ParticipantDetails:
    return ParticipantDetails(
        masked_nik=participant["nik_masked"],
        full_name=participant["full_name"],
        birth_date=participant["birth_date"],
        sex=participant["sex"],
        phone=participant["phone"],
        kecamatan=participant["kecamatan"],
        segment=participant["segment"],
        monthly_income=participant["monthly_income"],
        programs=list(participant["programs"]),
        member_since=participant["member_since"],
        income_history=income_history_of(participant["income_history"]),
        deceased_on=participant.get("deceased_on"),
    )


def income_history_of(history: list[IncomeChange]) -> list[IncomeFrom]:
    return [IncomeFrom(effective_from=str(c.effective_from), monthly_income=c.monthly_income) for c in sorted(history)]


def heirs_of(heirs: list[dict[str, Any]]) -> list[HeirData]:
    return [
        HeirData(
            heir_id=h["heir_id"],
            full_name=h["full_name"],
            relationship=h["relationship"],
            precedence=h["precedence"],
            phone=h["phone"],
            email=h["email"],
            language=h["language"],
            birth_date=h.get("birth_date"),
        )
        for h in heirs
    ]


async def register(conn: asyncpg.Connection, data: dict[str, Any], actor: Actor, today: date) -> str:
    registration = register_participant(data, today)
    existing = await repo.participant_id_for_nik(conn, registration.nik)
    if existing:
        raise Conflict(
            f"a participant with this NIK is already registered: {existing}", existing, "nik_already_registered"
        )
    participant_id = new_id("P")
    address = str(data.get("address") or "")
    await repo.insert_participants(conn, [repo.participant_row(participant_id, registration, address, "api")])
    heir_rows = [(new_id("H"), participant_id, i, heir) for i, heir in enumerate(registration.heirs)]
    await repo.insert_heirs(conn, heir_rows)
    await repo.insert_income_changes(conn, [(participant_id, first_income(registration), actor.subject)])
    participant = await repo.load_participant(conn, participant_id)
    await emit(
        conn,
        ParticipantEnrolled(
            participant_id=participant_id,
            details=details_of(participant),
            heirs=heirs_of(participant["heirs"]),
            source="api",
        ),
        participant_id,
    )
    await refresh_coverage(conn, participant, today)
    await flag_duplicates(conn, [participant_id])
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="participant.register",
        subject_id=participant_id,
        details={"nik_masked": registration.nik_masked},
    )
    return participant_id


def first_income(registration: Registration) -> IncomeChange:
    """The income declared at registration holds from the month membership started."""
    return IncomeChange(Period.of(registration.member_since), registration.monthly_income)


async def change_details(
    conn: asyncpg.Connection, participant_id: str, patch: dict[str, Any], actor: Actor, today: date
) -> None:
    participant = await _must_exist(conn, participant_id, for_update=True)
    refused = [
        FieldError((name,), "field_immutable", f"field_immutable: {name} comes from the KTP and cannot be changed here")
        for name in IMMUTABLE_FIELDS
        if name in patch
    ]
    unknown = [
        FieldError((name,), "field_unknown", f"field_unknown: {name} is not a participant field")
        for name in patch
        if name not in IMMUTABLE_FIELDS + EDITABLE_FIELDS + ("heirs",)
    ]
    if "heirs" in patch:
        unknown.append(
            FieldError(("heirs",), "heirs_use_put", "heirs_use_put: change heirs with PUT /v1/participants/{id}/heirs")
        )
    if refused or unknown:
        raise RuleViolation(refused + unknown)
    history = participant["income_history"]
    errors: list[FieldError] = []
    if "income_effective_from" in patch and "monthly_income" not in patch:
        errors.append(
            FieldError(
                ("income_effective_from",),
                "income_effective_from_without_income",
                "income_effective_from_without_income: give monthly_income with the month it takes effect",
            )
        )
    elif "monthly_income" in patch:
        # Declared income is dated: the change is a new entry from its month on, and the
        # participant's monthly_income is the one in effect today.
        try:
            history = change_income(
                history,
                patch["monthly_income"],
                patch.get("income_effective_from"),
                member_since=participant["member_since"],
                today=today,
            )
        except RuleViolation as violation:
            errors.extend(violation.errors)
    merged = {**participant, "heirs": [], **{k: v for k, v in patch.items() if k != "income_effective_from"}}
    merged["birth_date"] = participant["birth_date"]
    merged["member_since"] = participant["member_since"]
    # An income the change refused is reported once, by change_income.
    merged["monthly_income"] = participant["monthly_income"] if errors else income_in(history, Period.of(today))
    # The same rules as at registration judge the merged record, so a PATCH cannot
    # produce a participant that registration would have refused.
    try:
        registration = register_participant(merged, max(today, participant["member_since"]))
    except RuleViolation as violation:
        errors.extend(violation.errors)
    if errors:
        raise RuleViolation(errors)
    await repo.update_participant(conn, participant_id, registration, str(merged.get("address") or ""))
    if history is not participant["income_history"]:
        await repo.insert_income_changes(
            conn, [(participant_id, c, actor.subject) for c in history if c not in participant["income_history"]]
        )
    updated = await repo.load_participant(conn, participant_id)
    await emit(
        conn, ParticipantDetailsChanged(participant_id=participant_id, details=details_of(updated)), participant_id
    )
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="participant.change_details",
        subject_id=participant_id,
        details={"fields": sorted(patch)},
    )


async def replace_heirs(
    conn: asyncpg.Connection, participant_id: str, raw_heirs: list[dict[str, Any]], actor: Actor, today: date
) -> list[dict[str, Any]]:
    await _must_exist(conn, participant_id, for_update=True)
    try:
        heirs = validate_heirs(raw_heirs, today)
    except RuleViolation as violation:
        raise RuleViolation(
            [FieldError(e.loc[1:] if e.loc[:1] == ("heirs",) else e.loc, e.rule, e.msg) for e in violation.errors]
        ) from None
    await repo.delete_heirs(conn, participant_id)
    stored = await repo.insert_heirs(conn, [(new_id("H"), participant_id, i, h) for i, h in enumerate(heirs)])
    await emit(conn, HeirsChanged(participant_id=participant_id, heirs=heirs_of(stored)), participant_id)
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="participant.replace_heirs",
        subject_id=participant_id,
        details={"heirs": len(heirs)},
    )
    return stored


async def record_contribution(
    conn: asyncpg.Connection, participant_id: str, body: dict[str, Any], actor: Actor, today: date
) -> dict[str, Any]:
    """Records money received for a month, whatever its amount (balances.py); answers the
    contribution's id and the month's balance after it."""
    participant = await _must_exist(conn, participant_id, for_update=True)
    period = Period.parse(str(body.get("period", "")))
    paid_at = body.get("paid_at") or today
    payer = body.get("payer", "self")
    balances = await _balances(conn, participant)
    due = check_payment(
        period=period,
        amount=body.get("amount"),
        payer=payer,
        paid_at=paid_at,
        today=today,
        member_since=participant["member_since"],
        monthly_income=income_in(participant["income_history"], period),
        programs=participant["programs"],
        segment=participant["segment"],
        already_paid={b.period: b.completed_by for b in balances if b.status == "complete"},
        deceased_on=participant["deceased_on"],
    )
    contribution_id = new_id("C")
    await repo.insert_contribution(
        conn, contribution_id, participant_id, period, body["amount"], due.total, payer, paid_at, actor.subject
    )
    month = next(b for b in await _balances(conn, participant) if b.period == period)
    await emit(
        conn,
        ContributionRecorded(
            participant_id=participant_id,
            contribution_id=contribution_id,
            period=str(period),
            amount=body["amount"],
            payer=payer,
            paid_at=paid_at,
            amount_due=month.due,
            status=month.status,
            credit=month.credit_out,
        ),
        participant_id,
    )
    await refresh_coverage(conn, participant, today)
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="contribution.record",
        subject_id=participant_id,
        details={"period": str(period), "amount": body["amount"], "amount_due": month.due, "status": month.status},
    )
    return {"contribution_id": contribution_id, "month": month_view(month)}


def month_view(month: MonthBalance) -> dict[str, Any]:
    return {
        "period": str(month.period),
        "due": month.due,
        "paid": month.paid,
        "credit_in": month.credit_in,
        "credit_out": month.credit_out,
        "outstanding": month.outstanding,
        "status": month.status,
        "completed_on": month.completed_on.isoformat() if month.completed_on else None,
    }


async def month_balances_of(conn: asyncpg.Connection, participant_id: str) -> list[MonthBalance]:
    participant = await _must_exist(conn, participant_id)
    return await _balances(conn, participant)


async def _balances(conn: asyncpg.Connection, participant: dict[str, Any]) -> list[MonthBalance]:
    return balances_of(participant, await repo.contributions_paid(conn, participant["participant_id"]))


def balances_of(participant: dict[str, Any], recorded: list[tuple[Paid, str]]) -> list[MonthBalance]:
    """What the participant's payments (`recorded`, with their payers, in the order the money
    arrived) add up to, month by month (balances.py)."""
    # Credit carried into a month with no payment of its own pays what that month owes on the
    # income then in effect, for the payer of the latest payment (the discount depends on it).
    payer = recorded[-1][1] if recorded else "self"

    def due_for(month: Period) -> int:
        return contribution_due(
            income_in(participant["income_history"], month),
            participant["programs"],
            participant["segment"],
            payer,
            month,
        ).total

    deceased_on = participant.get("deceased_on")
    return month_balances(
        [paid for paid, _ in recorded], due_for, last_month=Period.of(deceased_on) if deceased_on else None
    )


def coverage_payload(participant_id: str, coverage: Coverage, as_of: date) -> CoverageChanged:
    return CoverageChanged(
        participant_id=participant_id,
        status=coverage.status,
        as_of=as_of,
        last_paid_period=str(coverage.last_paid_period) if coverage.last_paid_period else None,
        active_through=coverage.active_through,
        grace_until=coverage.grace_until,
        lapsed_from=coverage.lapsed_from,
        paid_months=coverage.paid_months,
        paid_periods=[str(p) for p in coverage.paid_periods],
        protected_periods=[ProtectedPeriod(start=r.start, end=r.end) for r in coverage.protected_periods],
    )


async def _coverage(conn: asyncpg.Connection, participant: dict[str, Any], today: date) -> tuple[Coverage, date]:
    return coverage_of(participant, await repo.contributions_paid(conn, participant["participant_id"]), today)


def coverage_of(participant: dict[str, Any], recorded: list[tuple[Paid, str]], today: date) -> tuple[Coverage, date]:
    """Coverage counts only complete months; a death fixes it as it stood that day."""
    payments = complete_payments(balances_of(participant, recorded))
    deceased_on = participant.get("deceased_on")
    if deceased_on is not None:
        return coverage_at_death(payments, deceased_on), deceased_on
    return coverage_on(payments, today), today


async def current_coverage(conn: asyncpg.Connection, participant_id: str, today: date) -> CoverageChanged:
    participant = await _must_exist(conn, participant_id)
    coverage, as_of = await _coverage(conn, participant, today)
    return coverage_payload(participant_id, coverage, as_of)


async def refresh_coverage(conn: asyncpg.Connection, participant: dict[str, Any], today: date) -> bool:
    """Recomputes coverage on `today`; announces CoverageChanged only when it differs from the last one."""
    payload, stored = coverage_to_store(participant, await _coverage(conn, participant, today))
    if (await repo.store_coverages(conn, [stored])).get(participant["participant_id"]) == stored[1]:
        return False
    await emit(conn, payload, participant["participant_id"])
    return True


def coverage_to_store(
    participant: dict[str, Any], coverage_as_of: tuple[Coverage, date]
) -> tuple[CoverageChanged, tuple[str, dict[str, Any], date, date | None]]:
    """The CoverageChanged announcing a coverage, and the row that stores it (repo.store_coverages):
    the snapshot compared with the stored one is the event without its `as_of`."""
    coverage, as_of = coverage_as_of
    payload = coverage_payload(participant["participant_id"], coverage, as_of)
    snapshot = payload.model_dump(mode="json", exclude={"as_of"})
    first_covered = coverage.protected_periods[0].start if coverage.protected_periods else None
    return payload, (participant["participant_id"], snapshot, as_of, first_covered)


async def sweep_coverage(pool: asyncpg.Pool, as_of: date) -> int:
    """Moves participants on as months pass (active → grace → lapsed); one transaction each."""
    async with pool.acquire() as conn:
        due = await repo.participants_due_for_coverage_change(conn, as_of)
    changed = 0
    for participant_id in due:
        async with pool.acquire() as conn, conn.transaction():
            changed += await refresh_coverage(conn, await _must_exist(conn, participant_id), as_of)
    return changed


# --- likely duplicate people ---------------------------------------------------------------------


async def flag_duplicates(conn: asyncpg.Connection, participant_ids: list[str]) -> int:
    """Flags likely duplicates of newly enrolled people (domain/duplicates.py) among everyone
    enrolled before them and each other, for an officer to decide; returns how many."""
    new = await repo.people(conn, participant_ids)
    if not new:
        return 0
    existing = await repo.people_born_on(conn, sorted({p.birth_date for p in new}), participant_ids)
    matches = likely_duplicates(new, existing)
    await repo.insert_duplicate_candidates(conn, [(new_id("DUP"), m) for m in matches])
    return len(matches)


async def dismiss_duplicate(conn: asyncpg.Connection, candidate_id: str, reason: object, actor: Actor) -> None:
    """Two people after all: the flag is closed with the officer's reason."""
    if not isinstance(reason, str) or not reason.strip():
        raise RuleViolation(
            [
                FieldError(
                    ("reason",),
                    "reason_required",
                    "reason_required: say why these are two people (e.g. twins, checked KK)",
                )
            ]
        )
    await _open_candidate(conn, candidate_id)
    await repo.decide_duplicate_candidate(conn, candidate_id, "dismissed", actor.subject, reason.strip())
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="duplicate.dismiss",
        subject_id=candidate_id,
        details={"reason": reason.strip()},
    )


async def merge_duplicate(conn: asyncpg.Connection, candidate_id: str, reason: object, actor: Actor) -> None:
    """One person: the later enrolment is marked as a duplicate of the earlier one. No data
    moves (contributions and heirs stay where they were recorded); the mark tells officers
    which record is the person's."""
    candidate = await _open_candidate(conn, candidate_id)
    later, earlier = candidate["participant"]["participant_id"], candidate["duplicate_of"]["participant_id"]
    note = reason.strip() if isinstance(reason, str) and reason.strip() else None
    await repo.mark_duplicate_of(conn, later, earlier)
    await repo.decide_duplicate_candidate(conn, candidate_id, "merged", actor.subject, note)
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="duplicate.merge",
        subject_id=candidate_id,
        details={"participant_id": later, "duplicate_of": earlier, "reason": note},
    )


async def _open_candidate(conn: asyncpg.Connection, candidate_id: str) -> dict[str, Any]:
    candidate = await repo.load_duplicate_candidate(conn, candidate_id, for_update=True)
    if candidate is None:
        raise DuplicateNotFound(candidate_id)
    if candidate["status"] != "open":
        raise Conflict(
            f"duplicate_already_decided: {candidate_id} was {candidate['status']} by {candidate['decided_by']}",
            candidate_id,
            "duplicate_already_decided",
        )
    return candidate


class DuplicateNotFound(LookupError):
    pass


# --- from claims (claims.decisions.v1) -------------------------------------------------------


async def on_deaths_confirmed(conn: asyncpg.Connection, confirmed: list[Delivery]) -> None:
    """Death claims were approved: each membership ends on the date of death, and the participant
    is announced as deceased with the final coverage (protection up to the death). A batch's
    deaths are applied together, in as many statements as one (issue 17), and in their order: a
    participant whose death two claims confirm sees the first before the second."""
    ids = list(dict.fromkeys(event.participant_id for _, event, _ in confirmed))
    loaded = await repo.load_participants(conn, ids, for_update=True)
    unknown = [participant_id for participant_id in ids if participant_id not in loaded]
    if unknown:
        # The runner applies the batch again one event at a time: only this one is dead-lettered.
        raise PoisonMessage(f"DeathConfirmed for unknown participant {', '.join(unknown)}")
    now = dict(loaded)  # each participant as the deaths applied so far leave them
    applied = []
    for delivery in confirmed:
        event: DeathConfirmed = delivery.payload
        before = now[event.participant_id]
        if before["deceased_on"] == event.date_of_death:
            continue  # the same death confirmed again (a second approval, a replay): nothing changes
        now[event.participant_id] = {**before, "deceased_on": event.date_of_death, "death_claim_id": event.claim_id}
        applied.append((delivery, before, now[event.participant_id]))
    if not applied:
        return
    dead = [now[participant_id] for participant_id in ids if now[participant_id] is not loaded[participant_id]]
    await repo.record_deaths(conn, [(p["participant_id"], p["deceased_on"], p["death_claim_id"]) for p in dead])
    recorded = await repo.contributions_paid_by(conn, [p["participant_id"] for p in dead])
    # The coverage each death fixes; the last of a participant's is the one stored.
    coverages = [
        coverage_to_store(after, coverage_of(after, recorded.get(after["participant_id"], []), after["deceased_on"]))
        for _, _, after in applied
    ]
    last = {stored[0]: stored for _, stored in coverages}
    previous = await repo.store_coverages(conn, list(last.values()))
    # The details changes first, then the coverage changes: each type in a run its readers apply in
    # one statement (claims' and notifications' read models). A participant whose death two claims
    # confirm keeps their own order (details, coverage, details, coverage): the second death's pair
    # comes after every first one.
    announced = []  # (the participant's how-many-th death, details 0 / coverage 1, envelope, trace)
    deaths_of: dict[str, int] = {}
    for (delivery, _, after), (coverage, stored) in zip(applied, coverages, strict=True):
        participant_id = after["participant_id"]
        nth = deaths_of[participant_id] = deaths_of.get(participant_id, 0) + 1
        details = ParticipantDetailsChanged(participant_id=participant_id, details=details_of(after))
        causation = str(delivery.envelope.event_id)
        envelope = new_envelope(details, correlation_id=participant_id, producer=SERVICE, causation_id=causation)
        announced.append((nth, 0, envelope, delivery.traceparent))
        if stored[1] != previous.get(participant_id):
            envelope = new_envelope(coverage, correlation_id=participant_id, producer=SERVICE)
            announced.append((nth, 1, envelope, delivery.traceparent))
        previous[participant_id] = stored[1]
    announced.sort(key=lambda a: (a[0], a[1]))  # stable: the deliveries' order within each
    await add_events(conn, [a[2] for a in announced], SERVICE, [a[3] for a in announced])
    await repo.record_audits(
        conn,
        [
            (
                f"claims:{event.claim_id}",
                "system",
                "participant.deceased",
                event.participant_id,
                {
                    "claim_id": event.claim_id,
                    "deceased_on": event.date_of_death.isoformat(),
                    "previous": before["deceased_on"].isoformat() if before["deceased_on"] else None,
                },
            )
            for (_, event, _), before, _ in applied
        ],
    )


on_death_confirmed = Batched(on_deaths_confirmed)


async def on_heirs_named_on_claim(conn: asyncpg.Connection, env: Envelope, event: HeirsNamedOnClaim) -> None:
    """A reviewer added the heirs named on the heir statement: they become the participant's
    heirs under the ids claims gave them; one already known (same id) is not added twice.
    Precedence is derived from the relationship here, as for any heir."""
    participant = await repo.load_participant(conn, event.participant_id, for_update=True)
    if participant is None:
        raise PoisonMessage(f"HeirsNamedOnClaim for unknown participant {event.participant_id}")
    owners = await repo.heir_owners(conn, [h.heir_id for h in event.heirs])
    foreign = sorted(hid for hid, owner in owners.items() if owner != event.participant_id)
    if foreign:
        raise PoisonMessage(f"heir ids {foreign} belong to another participant")
    named = [h for h in event.heirs if h.heir_id not in owners]
    named = list({h.heir_id: h for h in named}.values())  # one id once, even within the event
    if not named:
        return
    try:
        heirs = validate_heirs([h.model_dump(exclude={"heir_id", "precedence"}) for h in named], env.occurred_at.date())
    except RuleViolation as violation:
        raise PoisonMessage(
            f"heirs named on claim {event.claim_id} break enrollment's rules: "
            f"{[(e.loc, e.rule) for e in violation.errors]}"
        ) from None
    start = len(participant["heirs"])
    added = await repo.insert_heirs(
        conn, [(h.heir_id, event.participant_id, start + i, heir) for i, (h, heir) in enumerate(zip(named, heirs))]
    )
    # The heirs as `ORDER BY position` would read them back, without reading them back.
    stored = sorted(participant["heirs"] + added, key=lambda h: h["position"])
    await emit(
        conn,
        HeirsChanged(participant_id=event.participant_id, heirs=heirs_of(stored)),
        event.participant_id,
        causation_id=str(env.event_id),
    )
    await record_audit(
        conn,
        actor=event.named_by,
        role="system",
        action="participant.heirs_named_on_claim",
        subject_id=event.participant_id,
        details={"claim_id": event.claim_id, "heir_ids": [h.heir_id for h in named]},
    )


async def _must_exist(conn: asyncpg.Connection, participant_id: str, *, for_update: bool = False) -> dict[str, Any]:
    participant = await repo.load_participant(conn, participant_id, for_update=for_update)
    if participant is None:
        raise ParticipantNotFound(participant_id)
    return participant


class ParticipantNotFound(LookupError):
    pass


def lookup_keys(nik: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """A lookup's NIK (16 digits, separators dropped) and phone (E.164); 422 naming the field
    when one is not what it claims to be, or when neither is given."""
    errors: list[FieldError] = []
    nik = "".join((nik or "").split()) or None
    if nik is not None and not (len(nik) == 16 and nik.isascii() and nik.isdigit()):
        errors.append(FieldError(("nik",), "nik_format", "nik_format: a NIK is exactly 16 digits (0-9)"))
    if phone is not None and phone.strip():
        try:
            phone = normalize_phone(phone, ("phone",))
        except RuleViolation as refused:
            errors.extend(refused.errors)
    else:
        phone = None
    if nik is None and phone is None and not errors:
        errors.append(FieldError(("nik",), "nik_or_phone_required", "nik_or_phone_required: give a NIK or a phone"))
    if errors:
        raise RuleViolation(errors)
    return nik, phone

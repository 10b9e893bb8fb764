"""Disbursement's use cases. Each runs in the caller's transaction and queues its events in
the outbox, so a line's status and the event announcing it commit together.

- `on_payout_recorded`, `on_late_charge_recorded`, `on_claim_reclassified` (consumer groups
  claims.disbursement, claims.decisions): one line per cash ledger line, status
  received, whenever the line was recorded (the payout, its late charge, a difference after a
  reclassification); a batch's payouts and late charges together (shared.consuming.Batched).
- `record_account` (officer): where a payee is paid; a rejected line is re-issued.
- `start_attempt` / `apply_answer` (the worker, services/claims/disbursement/worker.py, and the
  bank's notifications): an attempt is written before the bank is called; the bank's answer
  moves it once, whatever the number of answers.
- `record_manual_transfer`, `reverse_transfer` (supervisor).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.claims import repository as claims_repo
from services.claims.disbursement import repository as repo
from services.claims.disbursement.bank import AccountCheck, BankAnswer
from services.claims.domain.disbursement import (
    DEFAULT_SURVEY_PERCENT,
    PayeeAccount,
    ask_if_money_arrived,
    attempt_may_become,
    last4,
    line_status_of,
    names_match,
    validate_account,
)
from services.claims.handlers import record_late_charge
from shared.auth import Actor
from shared.clock import today
from shared.consuming import Batched, Delivery
from shared.contracts import claims as claim_events
from shared.contracts.disbursements import ReceiptCheckRequested, TransferReversed, TransferStatusChanged
from shared.contracts.notifications import ReceiptReplied
from shared.db import record_audit
from shared.envelope import Envelope, EventPayload, new_envelope
from shared.errors import FieldError, RuleViolation
from shared.outbox import add_event, add_events

SERVICE = "claims"
STEP = "disbursement"  # changed_by when the step itself moves a line
WORKER_PAYEE = "worker"  # the API's name for lines without an heir (payee_heir_id '')


class NotFound(LookupError):
    pass


async def emit(conn: asyncpg.Connection, payload: EventPayload, claim_id: str, causation_id: str | None = None) -> None:
    await add_event(
        conn, new_envelope(payload, correlation_id=claim_id, producer=SERVICE, causation_id=causation_id), SERVICE
    )


async def announce(
    conn: asyncpg.Connection,
    line: dict[str, Any],
    status: str,
    changed_by: str,
    *,
    reason_code: str | None = None,
    attempt: dict[str, Any] | None = None,
    causation_id: str | None = None,
) -> None:
    await emit(
        conn,
        status_changed(line, status, changed_by, reason_code=reason_code, attempt=attempt),
        line["claim_id"],
        causation_id,
    )


def status_changed(
    line: dict[str, Any],
    status: str,
    changed_by: str,
    *,
    reason_code: str | None = None,
    attempt: dict[str, Any] | None = None,
) -> TransferStatusChanged:
    return TransferStatusChanged(
        claim_id=line["claim_id"],
        participant_id=line["participant_id"],
        component=line["component"],
        payee_heir_id=line["payee_heir_id"] or None,
        payee_name=line["payee_name"],
        amount=line["amount"],
        status=status,
        reason_code=reason_code,
        attempt=attempt["attempt"] if attempt else line["attempts"],
        external_id=attempt and attempt["external_id"],
        method=attempt and attempt["method"],
        account_last4=attempt and last4(attempt["account_number"]),
        bank_reference=attempt and attempt.get("bank_reference"),
        changed_by=changed_by,
        entry=line["entry"],
    )


def new_external_id() -> str:
    # SNAP's X-EXTERNAL-ID: numeric, at most 36 digits, unique per day; this is unique for ever.
    return f"{uuid.uuid4().int % 10**32:032d}"


# --- lines from the payout ledger (consumers of PayoutRecorded, LateChargeRecorded, ClaimReclassified) ---


async def take_ledger_lines(
    conn: asyncpg.Connection,
    claim_ids: list[str],
    causation_ids: Sequence[str | None],
    traceparents: Sequence[str | None] | None = None,
) -> None:
    """Every cash ledger line of the claims becomes a transfer line once; the event only says
    that the ledger grew, the ledger says what is owed. The claims' new lines and their steps in
    one statement, every new line's event in one more, however many claims (issue 17).
    `causation_ids[i]`, `traceparents[i]`: the event and trace the lines of claim_ids[i] answer."""
    traces = traceparents or [None] * len(claim_ids)
    of = {claim_id: i for i, claim_id in enumerate(claim_ids)}
    new = await repo.lines_from_ledgers(conn, claim_ids)
    await add_events(
        conn,
        [
            new_envelope(
                status_changed(line, "received", STEP),
                correlation_id=line["claim_id"],
                producer=SERVICE,
                causation_id=causation_ids[of[line["claim_id"]]],
            )
            for line in new
        ],
        SERVICE,
        [traces[of[line["claim_id"]]] for line in new],
    )


async def on_ledger_grown(conn: asyncpg.Connection, grown: list[Delivery]) -> None:
    """A batch's PayoutRecorded and LateChargeRecorded together: both say only that a claim's
    ledger grew."""
    await take_ledger_lines(
        conn,
        [event.claim_id for _, event, _ in grown],
        [str(env.event_id) for env, _, _ in grown],
        [traceparent for _, _, traceparent in grown],
    )


# One handler for both types, so a batch's payouts and late charges of distinct claims go in one call.
on_payout_recorded = on_late_charge_recorded = Batched(on_ledger_grown)


async def on_claim_reclassified(conn: asyncpg.Connection, env: Envelope, event: claim_events.ClaimReclassified) -> None:
    if event.after_payout and event.total_cash > 0:  # before payout the payout itself pays the new type
        await take_ledger_lines(conn, [event.claim_id], [str(env.event_id)])


# --- where a payee is paid (officer) -------------------------------------------------------------------


def payee_key(payee: str) -> str:
    return "" if payee == WORKER_PAYEE else payee


async def record_account(
    conn: asyncpg.Connection, claim_id: str, payee: str, account: PayeeAccount, actor: Actor
) -> list[str]:
    """Returns the components re-issued (rejected lines sent again to the new account)."""
    validate_account(account)
    key = payee_key(payee)
    if await claims_repo.load_claim(conn, claim_id, for_update=True) is None:
        raise NotFound(f"no claim {claim_id}")
    # The payout ledger, not the lines: the lines follow it on their own time, and an officer may
    # record the account as soon as the payout is recorded.
    if not await repo.pays_cash_to(conn, claim_id, key):
        raise NotFound(
            f"claim {claim_id} pays nothing to {payee!r}: a payee is an heir_id on its payout or '{WORKER_PAYEE}'"
        )
    lines = await repo.lines(conn, claim_id, key, for_update=True)
    if any(x["status"] == "pending" for x in lines):
        raise RuleViolation(
            [
                FieldError(
                    ("account_number",),
                    "transfer_in_progress",
                    "transfer_in_progress: a transfer to this payee is with the bank; "
                    "record another account once it has been answered",
                )
            ]
        )
    await repo.save_account(conn, claim_id, key, account, actor.subject)
    reissued = []
    for line in lines:
        if line["status"] == "rejected":
            await repo.set_line(conn, claim_id, line["component"], key, line["entry"], "received", None)
            await announce(conn, {**line, "status": "received"}, "received", actor.subject)
            reissued.append(line["component"])
    await claims_repo.add_step(
        conn,
        claim_id,
        "payee_account_recorded",
        {
            "payee": payee,
            "method": account.method,
            "account_last4": last4(account.account_number),
            "by": actor.subject,
            "reissued": reissued,
        },
    )
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="disbursement.record_account",
        subject_id=claim_id,
        details={
            "payee": payee,
            "method": account.method,
            "bank_code": account.bank_code,
            "account_last4": last4(account.account_number),
        },
    )
    return reissued


async def apply_account_check(conn: asyncpg.Connection, account: dict[str, Any], check: AccountCheck) -> str:
    """The bank's account inquiry, for the account as it was asked about. Returns ok or rejected."""
    current = await repo.account(conn, account["claim_id"], account["payee"], for_update=True)
    if current is None or current["recorded_at"] != account["recorded_at"] or current["checked"] != "unchecked":
        return current["checked"] if current else "rejected"  # the officer recorded another one meanwhile
    payee_name = account.get("payee_name") or account["account_name"]
    reason = check.reason_code
    if reason is None and not names_match(payee_name, check.holder_name or ""):
        reason = "BE01"  # the name on the account is someone else's: stop before any money moves
    await repo.set_account_check(
        conn, account["claim_id"], account["payee"], "ok" if reason is None else "rejected", check.holder_name, reason
    )
    if reason is not None:
        await reject_waiting_lines(conn, account["claim_id"], account["payee"], reason)
    return "ok" if reason is None else "rejected"


async def reject_waiting_lines(conn: asyncpg.Connection, claim_id: str, payee: str, reason: str) -> None:
    """No money goes to an account the bank refused: the payee's waiting lines are rejected with
    the reason, and the officer is asked for another account."""
    for line in await repo.lines(conn, claim_id, payee, for_update=True):
        if line["status"] == "received":
            await repo.set_line(conn, claim_id, line["component"], payee, line["entry"], "rejected", reason)
            await announce(conn, line, "rejected", STEP, reason_code=reason)
            await claims_repo.add_step(
                conn,
                claim_id,
                "transfer_rejected",
                {
                    "component": line["component"],
                    "payee_heir_id": payee or None,
                    "reason": reason,
                    "attempt": line["attempts"],
                },
            )


# --- attempts (the worker) -------------------------------------------------------------------------------


async def start_attempt(
    conn: asyncpg.Connection, claim_id: str, component: str, payee: str, entry: int
) -> dict[str, Any] | None:
    """Writes the attempt (status sending) with a new external id; the caller commits it and only
    then calls the bank. None when the line is no longer waiting or its account not usable."""
    line, account = await repo.line_and_account(conn, claim_id, component, payee, entry)
    if (
        line is None
        or line["status"] != "received"
        or account is None
        or not (account["checked"] == "ok" or account["method"] == "cash")
    ):
        return None
    attempt_no = line["attempts"] + 1
    external_id = new_external_id()
    attempt = await repo.send_attempt(
        conn,
        external_id,
        line,
        attempt_no,
        account,
        STEP,
        "transfer_sent",
        {
            "component": component,
            "payee_heir_id": payee or None,
            "attempt": attempt_no,
            "external_id": external_id,
            "method": account["method"],
            "account_last4": last4(account["account_number"]),
            "amount": line["amount"],
        },
    )
    await announce(conn, {**line, "attempts": attempt_no}, "pending", STEP, attempt=attempt)
    return attempt


async def apply_answer(
    conn: asyncpg.Connection,
    external_id: str,
    answer: BankAnswer,
    changed_by: str,
    survey_percent: float = DEFAULT_SURVEY_PERCENT,
) -> bool:
    """The bank's word on an attempt (its answer, a status inquiry, a notification). A final
    attempt stays final, so a repeated or late notification changes nothing. Returns whether
    the attempt changed."""
    attempt = await repo.attempt(conn, external_id, for_update=True)
    if attempt is None:
        raise NotFound(f"no transfer {external_id}")
    if attempt["status"] == answer.status or not attempt_may_become(attempt["status"], answer.status):
        if answer.pickup_code and not attempt["pickup_code"]:
            await repo.set_attempt(
                conn, external_id, attempt["status"], None, answer.bank_reference, answer.pickup_code
            )
        return False
    reason = answer.reason_code if answer.status == "rejected" else None
    claim_id, component, payee = attempt["claim_id"], attempt["component"], attempt["payee_heir_id"]
    if answer.status == "pending":
        await repo.set_attempt(conn, external_id, answer.status, reason, answer.bank_reference, answer.pickup_code)
        # sending -> pending: the bank has it; the line was pending since it was sent.
        if answer.pickup_code:
            await claims_repo.add_step(
                conn,
                claim_id,
                "cash_ready_for_pickup",
                {"component": component, "payee_heir_id": payee or None, "external_id": external_id},
            )
        return True
    attempt = {**attempt, "status": answer.status, "bank_reference": answer.bank_reference or attempt["bank_reference"]}
    line = await repo.settle_attempt(
        conn,
        attempt,
        answer.status,
        reason,
        answer.bank_reference,
        answer.pickup_code,
        line_status_of(answer.status),
        f"transfer_{answer.status}",
        {
            "component": component,
            "payee_heir_id": payee or None,
            "attempt": attempt["attempt"],
            "external_id": external_id,
            "reason": reason,
            "bank_reference": attempt["bank_reference"],
        },
    )
    await announce(conn, line, answer.status, changed_by, reason_code=reason, attempt=attempt)
    if answer.status == "rejected":
        # The account itself is refused (closed, blocked, holder deceased): nothing more goes there.
        await repo.set_account_check(conn, claim_id, payee, "rejected", None, reason)
        await reject_waiting_lines(conn, claim_id, payee, reason)
    else:
        await claim_paid_if_complete(conn, claim_id, survey_percent)
    return True


async def claim_paid_if_complete(
    conn: asyncpg.Connection, claim_id: str, survey_percent: float = DEFAULT_SURVEY_PERCENT
) -> None:
    """Paid when every cash line of the ledger has been transferred: the payout's, a late
    charge's, a reclassification's difference. A line the disbursement consumer has not taken
    yet counts as unpaid."""
    # The claim's row first: two of its lines settled at once (the worker and a bank notification)
    # take turns here, so the later one counts the earlier one's line paid; counted without it,
    # each saw the other's line unpaid and the claim was never found paid.
    claim = await claims_repo.load_claim(conn, claim_id, for_update=True)
    count, unpaid = await repo.lines_and_unpaid(conn, claim_id)
    if not count or unpaid:
        return
    lines = await repo.lines(conn, claim_id)
    if claim["disbursement_status"] == "paid":
        return
    # The last transfer landed: paid after the payment deadline, the late charge is owed (PP 44/2015
    # art. 37, 40) and recorded in this transaction (record_late_charge does nothing when on time or
    # when it was recorded before). Its lines go to the bank too: the claim is paid once they are.
    if await record_late_charge(conn, claim_id, today()):
        return
    await claims_repo.set_disbursement_paid(conn, claim_id, sum(x["amount"] for x in lines))
    # Notifications tells the family the money was sent (DisbursementPaid) from this event.
    await emit(
        conn,
        claim_events.DisbursementChanged(
            claim_id=claim_id, participant_id=claim["participant_id"], status="paid", changed_by=STEP
        ),
        claim_id,
    )
    paid_to: dict[str, int] = {}
    for line in lines:
        paid_to[line["payee_heir_id"]] = paid_to.get(line["payee_heir_id"], 0) + line["amount"]
    for payee, amount in sorted(paid_to.items()):
        # Only heirs are asked: notifications reaches a family through its heirs' contacts.
        if payee and ask_if_money_arrived(claim_id, payee, amount, survey_percent):
            await emit(
                conn,
                ReceiptCheckRequested(
                    claim_id=claim_id, participant_id=claim["participant_id"], payee_heir_id=payee, amount=amount
                ),
                claim_id,
            )
            await claims_repo.add_step(
                conn, claim_id, "receipt_check_requested", {"payee_heir_id": payee, "amount": amount}
            )


# --- a supervisor's hand ----------------------------------------------------------------------------------


async def record_manual_transfer(
    conn: asyncpg.Connection,
    claim_id: str,
    component: str,
    payee: str,
    bank_reference: str,
    note: str,
    actor: Actor,
    survey_percent: float = DEFAULT_SURVEY_PERCENT,
    entry: int | None = None,
) -> None:
    """A transfer made outside Jaring (at the bank's counter, by another channel), recorded
    with the bank's reference. The only way a person sets a line paid; audited. `entry` names
    the ledger entry when a payee has the component more than once (a second reclassification's
    difference); without it, the payee's first open line of that component."""
    key = payee_key(payee)
    candidates = [
        x
        for x in await repo.lines(conn, claim_id, key, for_update=True)
        if x["component"] == component and (entry is None or x["entry"] == entry)
    ]
    open_lines = [x for x in candidates if x["status"] in ("received", "rejected")]
    line = (open_lines or candidates or [None])[0]
    if line is None:
        raise NotFound(f"claim {claim_id} has no line {component} for {payee!r}")
    if line["status"] not in ("received", "rejected"):
        raise RuleViolation(
            [
                FieldError(
                    ("component",),
                    "line_not_open",
                    f"line_not_open: this line is {line['status']}; only a line waiting or "
                    f"rejected can be paid by hand",
                )
            ]
        )
    if not bank_reference.strip():
        raise RuleViolation(
            [
                FieldError(
                    ("bank_reference",),
                    "bank_reference_required",
                    "bank_reference_required: the bank's reference of the transfer",
                )
            ]
        )
    attempt_no = line["attempts"] + 1
    external_id = new_external_id()
    await repo.insert_attempt(
        conn, external_id, line, attempt_no, None, "manual", "succeeded", actor.subject, bank_reference
    )
    await repo.set_line(conn, claim_id, component, key, line["entry"], "succeeded", None, attempt_no)
    attempt = await repo.attempt(conn, external_id)
    await announce(conn, line, "succeeded", actor.subject, attempt=attempt)
    await claims_repo.add_step(
        conn,
        claim_id,
        "transfer_succeeded",
        {
            "component": component,
            "payee_heir_id": key or None,
            "attempt": attempt_no,
            "external_id": external_id,
            "method": "manual",
            "bank_reference": bank_reference,
            "by": actor.subject,
        },
    )
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="disbursement.manual_transfer",
        subject_id=claim_id,
        details={
            "component": component,
            "payee": payee,
            "entry": line["entry"],
            "bank_reference": bank_reference,
            "note": note,
        },
    )
    await claim_paid_if_complete(conn, claim_id, survey_percent)


async def reverse_transfer(
    conn: asyncpg.Connection, claim_id: str, external_id: str, reason: str, actor: Actor
) -> None:
    """A transfer that succeeded is undone (paid to a wrong account): a reversal entry with its
    reason and actor; the line waits for the corrected account and is paid as a new attempt."""
    attempt = await repo.attempt(conn, external_id, for_update=True)
    if attempt is None or attempt["claim_id"] != claim_id:
        raise NotFound(f"claim {claim_id} has no transfer {external_id}")
    if attempt["status"] != "succeeded":
        raise RuleViolation(
            [
                FieldError(
                    ("external_id",),
                    "transfer_not_succeeded",
                    f"transfer_not_succeeded: only a succeeded transfer is reversed; this one is {attempt['status']}",
                )
            ]
        )
    if len(reason.strip()) < 5:
        raise RuleViolation(
            [FieldError(("reason",), "reason_required", "reason_required: why the transfer is undone, in a few words")]
        )
    payee = attempt["payee_heir_id"]
    await repo.set_attempt(conn, external_id, "reversed", None, None, None)
    await repo.insert_reversal(conn, external_id, claim_id, attempt["amount"], reason, actor.subject)
    line = await repo.line(conn, claim_id, attempt["component"], payee, attempt["entry"])
    await repo.set_line(conn, claim_id, attempt["component"], payee, attempt["entry"], "received", None)
    # The account it went to was the wrong one: the line waits until the officer records another.
    await repo.set_account_check(conn, claim_id, payee, "rejected", None, None)
    await emit(
        conn,
        TransferReversed(
            claim_id=claim_id,
            participant_id=line["participant_id"],
            component=attempt["component"],
            payee_heir_id=payee or None,
            amount=attempt["amount"],
            external_id=external_id,
            reason=reason,
            reversed_by=actor.subject,
        ),
        claim_id,
    )
    await announce(conn, line, "received", actor.subject)
    await claims_repo.add_step(
        conn,
        claim_id,
        "transfer_reversed",
        {
            "component": attempt["component"],
            "payee_heir_id": payee or None,
            "external_id": external_id,
            "amount": attempt["amount"],
            "reason": reason,
            "by": actor.subject,
        },
    )
    claim = await claims_repo.load_claim(conn, claim_id, for_update=True)
    if claim["disbursement_status"] == "paid":
        await claims_repo.set_disbursement(conn, claim_id, "scheduled", None)
        await emit(
            conn,
            claim_events.DisbursementChanged(
                claim_id=claim_id, participant_id=claim["participant_id"], status="scheduled", changed_by=actor.subject
            ),
            claim_id,
        )
    await record_audit(
        conn,
        actor=actor.subject,
        role=actor.role,
        action="disbursement.reverse",
        subject_id=claim_id,
        details={"external_id": external_id, "amount": attempt["amount"], "reason": reason},
    )


# --- the payee's answer (consumer of notifications' ReceiptReplied) ------------------------------------


async def on_receipt_replied(conn: asyncpg.Connection, _env: Envelope, event: ReceiptReplied) -> None:
    await claims_repo.add_step(conn, event.claim_id, f"receipt_{event.answer}", {"heir_id": event.heir_id})
    if event.answer == "no":
        # "TIDAK": the money did not arrive, says the family; someone must look into it.
        await conn.execute(
            "INSERT INTO follow_ups (claim_id, payee_heir_id, reason) VALUES ($1, $2, 'money_not_received') "
            "ON CONFLICT DO NOTHING",
            event.claim_id,
            event.heir_id,
        )


async def open_follow_ups(conn: asyncpg.Connection, claim_id: str | None = None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT claim_id, payee_heir_id, reason, flagged_at FROM follow_ups WHERE resolved_at IS NULL "
        "AND ($1::text IS NULL OR claim_id = $1) ORDER BY flagged_at",
        claim_id,
    )
    return [dict(r) for r in rows]


# --- what the claim's page shows ------------------------------------------------------------------------


async def disbursement_of(conn: asyncpg.Connection, claim_id: str) -> dict[str, Any]:
    lines = await repo.lines(conn, claim_id)
    attempts = await repo.attempts(conn, claim_id)
    reversals = await repo.reversals(conn, claim_id)
    accounts = [
        {
            "payee": a["payee"] or WORKER_PAYEE,
            "method": a["method"],
            "bank_code": a["bank_code"],
            "account_last4": last4(a["account_number"]),
            "account_name": a["account_name"],
            "checked": a["checked"],
            "holder_name": a["holder_name"],
            "reason_code": a["reason_code"],
        }
        for a in await repo.accounts(conn, claim_id)
    ]
    paid_ever = sum(a["amount"] for a in attempts if a["status"] in ("succeeded", "reversed"))
    reversed_total = sum(r["amount"] for r in reversals)
    succeeded = sum(a["amount"] for a in attempts if a["status"] == "succeeded")
    owed = sum(x["amount"] for x in lines)
    return {
        "lines": [
            {
                k: x[k]
                for k in (
                    "component",
                    "payee_heir_id",
                    "payee_name",
                    "amount",
                    "status",
                    "reason_code",
                    "attempts",
                    "entry",
                )
            }
            for x in lines
        ],
        "accounts": accounts,
        "attempts": attempts,
        "reversals": [
            {k: r[k] for k in ("external_id", "amount", "reason", "reversed_by", "reversed_at")} for r in reversals
        ],
        "follow_ups": await open_follow_ups(conn, claim_id),
        # paid - reversed = held by payees now; owed - held = still to pay. Always reconciles.
        "totals": {
            "owed": owed,
            "paid": paid_ever,
            "reversed": reversed_total,
            "held_by_payees": succeeded,
            "outstanding": owed - succeeded,
        },
    }

"""A death claim's type corrected by a supervisor: JKM (death not from work) <-> JKK_DEATH
(death from a work accident), with a reason, before or after payout.

Before payout the claim simply carries the new type (its documents and deadline follow).
After payout only the difference is paid: for each payee, what the new type gives less
what was already paid in cash, as new `reclassification_adjustment` lines. Nothing is paid
twice, and nothing is clawed back silently: when the new type gives a payee less, nothing
negative is recorded; the excess is reported (`overpaid`) for a supervisor to settle.
Entitlements the new type adds (the scholarship under JKK_DEATH needs no 36 months) are
recorded; those it would remove stay recorded and are part of what a supervisor settles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from services.claims.domain.payout import PayoutLine
from shared.contracts.vocabulary import DEATH_CLAIM_TYPES
from shared.errors import FieldError

# Lines that are not the benefit itself: not compared with what the new type gives.
NOT_BENEFIT = frozenset({"late_charge"})


def reclassification_errors(old_type: str, new_type: str, reason: str, status: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if old_type not in DEATH_CLAIM_TYPES or new_type not in DEATH_CLAIM_TYPES:
        errors.append(
            FieldError(
                ("claim_type",),
                "reclassification_between_deaths_only",
                "reclassification_between_deaths_only: a death is reclassified between JKM and "
                "JKK_DEATH; a JKK accident claim is not",
            )
        )
    elif old_type == new_type:
        errors.append(
            FieldError(
                ("claim_type",),
                "reclassification_same_type",
                f"reclassification_same_type: the claim is already {old_type}",
            )
        )
    if not isinstance(reason, str) or not reason.strip():
        errors.append(
            FieldError(
                ("reason",), "reason_required", "reason_required: say why; the family and the audit trail read it"
            )
        )
    if status == "rejected":
        errors.append(
            FieldError(
                ("claim_type",),
                "claim_rejected",
                "claim_rejected: a rejected claim is not reclassified; file a new claim",
            )
        )
    return errors


def reclassification_difference(
    paid: Sequence[PayoutLine], due: Sequence[PayoutLine], old_type: str, new_type: str
) -> tuple[list[PayoutLine], int]:
    """(the lines to add, the rupiah paid beyond what the new type gives)."""

    def key(line: PayoutLine) -> str:
        return line.payee_heir_id or ""

    paid_cash: dict[str, int] = defaultdict(int)
    for line in paid:
        if line.kind == "cash" and line.component not in NOT_BENEFIT:
            paid_cash[key(line)] += line.amount
    due_cash: dict[str, int] = defaultdict(int)
    payee: dict[str, PayoutLine] = {}
    for line in due:
        if line.kind == "cash":
            due_cash[key(line)] += line.amount
            payee.setdefault(key(line), line)
    adjustment: list[PayoutLine] = []
    overpaid = 0
    for who in sorted(set(paid_cash) | set(due_cash)):
        difference = due_cash[who] - paid_cash[who]
        if difference > 0:
            first = payee[who]
            adjustment.append(
                PayoutLine(
                    "reclassification_adjustment",
                    difference,
                    "cash",
                    first.payee_heir_id,
                    first.payee_name,
                    first.guardian_name,
                    f"reclassified {old_type} -> {new_type}: {due_cash[who]} under {new_type}, {paid_cash[who]} "
                    f"already paid; the difference",
                )
            )
        else:
            overpaid += -difference
    recorded = {(line.component, line.payee_heir_id) for line in paid if line.kind == "entitlement"}
    adjustment += [
        line for line in due if line.kind == "entitlement" and (line.component, line.payee_heir_id) not in recorded
    ]
    return adjustment, overpaid

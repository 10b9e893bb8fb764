"""Disbursement rules: is this account the payee's, which status may follow which, and does a
bank statement agree with the transfers Jaring made. No I/O.

Statuses are G2P Connect's (received, pending, succeeded, rejected); rejection reasons are
ISO 20022's (the product brief). A line's attempt is `sending` from the moment it is written
until the bank answers: the state a crash can leave behind, resolved by asking the bank.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from shared.errors import FieldError, RuleViolation

# Abbreviations Indonesian names are written with on KTPs and bank books, mapped to one
# spelling: "Muh. Ridwan" on the heir statement is "MUHAMMAD RIDWAN" at the bank.
_NAME_VARIANTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "MUH",
            "MUHD",
            "MOH",
            "MOHD",
            "MOCH",
            "MOCHAMAD",
            "MOCHAMMAD",
            "MOHAMAD",
            "MOHAMMAD",
            "MOHAMMED",
            "MUHAMAD",
            "MUHAMMAD",
            "MUHAMMED",
            "MHD",
            "M",
        ),
        "MUHAMMAD",
    ),
    **dict.fromkeys(("ST", "SITI", "SITTI"), "SITTI"),
    **dict.fromkeys(("HJ", "HAJJAH", "HAJAH"), "HAJJAH"),
    **dict.fromkeys(("H", "HAJI"), "HAJI"),
    **dict.fromkeys(("ABD", "ABDUL"), "ABDUL"),
    **dict.fromkeys(("NUR", "NURUL"), "NUR"),
}
# Titles a bank may keep or drop; they do not make a name someone else's.
_TITLES = frozenset({"IR", "DR", "DRS", "DRA", "SH", "SE", "SPD", "SKM", "AMD", "BIN", "BINTI"})


def name_tokens(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = [w for w in re.split(r"[^A-Z]+", plain) if w]
    return [_NAME_VARIANTS.get(w, w) for w in words if w not in _TITLES]


def names_match(payee: str, holder: str) -> bool:
    """The name on the account is the payee's: the same words in the same order once
    abbreviations are spelled out, where a single letter stands for a word it begins
    ("A. Baso" is "Andi Baso"). Banks cut long names: a holder name that is the payee's
    first words, at least two of them, matches."""
    a, b = name_tokens(payee), name_tokens(holder)
    if not a or not b:
        return False
    if len(a) != len(b):
        shorter, longer = (a, b) if len(a) < len(b) else (b, a)
        return len(shorter) >= 2 and shorter == longer[: len(shorter)]
    return all(x == y or (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y)) for x, y in zip(a, b))


def last4(account_number: str | None) -> str | None:
    return account_number[-4:] if account_number else None


# --- the officer's record of where a payee is paid ----------------------------------------------

_BANK_CODE = re.compile(r"\d{3}")  # the three-digit codes of Bank Indonesia's bank list
_ACCOUNT_NUMBER = re.compile(r"\d{6,20}")


@dataclass(frozen=True)
class PayeeAccount:
    method: str  # bank or cash (picked up at a counter against a code)
    account_name: str
    bank_code: str | None = None
    account_number: str | None = None


def validate_account(account: PayeeAccount) -> None:
    errors = []
    if account.method not in ("bank", "cash"):
        errors.append(FieldError(("method",), "payment_method_unknown", "payment_method_unknown: bank or cash"))
    if not account.account_name.strip() or len(account.account_name) > 100:
        errors.append(
            FieldError(
                ("account_name",),
                "account_name_required",
                "account_name_required: the name on the account (or of the person collecting "
                "cash), up to 100 characters",
            )
        )
    if account.method == "bank":
        if not account.bank_code or not _BANK_CODE.fullmatch(account.bank_code):
            errors.append(
                FieldError(
                    ("bank_code",),
                    "bank_code_invalid",
                    "bank_code_invalid: the bank's three-digit code (e.g. 002 for BRI)",
                )
            )
        if not account.account_number or not _ACCOUNT_NUMBER.fullmatch(account.account_number):
            errors.append(
                FieldError(
                    ("account_number",),
                    "account_number_invalid",
                    "account_number_invalid: 6 to 20 digits, no spaces or dashes",
                )
            )
        elif len(account.account_number) == 16:
            # A 16-digit number is what a NIK or KK looks like: refuse it rather than store one.
            errors.append(
                FieldError(
                    ("account_number",),
                    "account_number_looks_like_nik",
                    "account_number_looks_like_nik: 16 digits is a NIK or KK number, not a bank account",
                )
            )
    elif account.bank_code or account.account_number:
        errors.append(
            FieldError(
                ("account_number",),
                "cash_has_no_account",
                "cash_has_no_account: a cash pick-up names only the person collecting",
            )
        )
    if errors:
        raise RuleViolation(errors)


# --- statuses ------------------------------------------------------------------------------------

# Which bank outcome may follow which attempt status. Final states stay final: a duplicate or
# late notification changes nothing.
_ATTEMPT_NEXT: dict[str, frozenset[str]] = {
    "sending": frozenset({"pending", "succeeded", "rejected"}),
    "pending": frozenset({"succeeded", "rejected"}),
    "succeeded": frozenset({"reversed"}),
    "rejected": frozenset(),
    "reversed": frozenset(),
}


def attempt_may_become(current: str, new: str) -> bool:
    return new in _ATTEMPT_NEXT[current]


def line_status_of(attempt_status: str) -> str:
    """The G2P status a line shows for its newest attempt."""
    return {
        "sending": "pending",
        "pending": "pending",
        "succeeded": "succeeded",
        "rejected": "rejected",
        "reversed": "received",
    }[attempt_status]


# --- reconciliation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidTransfer:
    external_id: str
    partner_reference: str
    claim_id: str
    amount: int


@dataclass(frozen=True)
class StatementEntry:
    end_to_end_id: str
    amount: int
    bank_reference: str | None


@dataclass(frozen=True)
class Mismatch:
    kind: str  # paid_not_on_statement, unknown_on_statement, amount_differs
    external_id: str | None
    claim_id: str | None
    end_to_end_id: str | None
    bank_reference: str | None
    expected: int | None
    booked: int | None
    action: str


ACTIONS = {
    "paid_not_on_statement": "ask the bank for the transfer's status by its reference; if it never left, "
    "a supervisor reverses it so the line is paid again",
    "unknown_on_statement": "ask the bank what this debit is; no Jaring transfer carries its reference",
    "amount_differs": "ask the bank to correct the booked amount or return the difference",
}


def reconcile(paid: list[PaidTransfer], entries: list[StatementEntry]) -> tuple[int, list[Mismatch]]:
    """Matches each statement entry to a transfer by the end-to-end id (the partner reference
    Jaring sent). Returns how many matched exactly and every mismatch with its action."""
    by_reference = {t.partner_reference: t for t in paid}
    seen: set[str] = set()
    matched, mismatches = 0, []
    for entry in entries:
        transfer = by_reference.get(entry.end_to_end_id)
        if transfer is None:
            mismatches.append(
                Mismatch(
                    "unknown_on_statement",
                    None,
                    None,
                    entry.end_to_end_id,
                    entry.bank_reference,
                    None,
                    entry.amount,
                    ACTIONS["unknown_on_statement"],
                )
            )
            continue
        seen.add(transfer.partner_reference)
        if transfer.amount != entry.amount:
            mismatches.append(
                Mismatch(
                    "amount_differs",
                    transfer.external_id,
                    transfer.claim_id,
                    entry.end_to_end_id,
                    entry.bank_reference,
                    transfer.amount,
                    entry.amount,
                    ACTIONS["amount_differs"],
                )
            )
        else:
            matched += 1
    for transfer in paid:
        if transfer.partner_reference not in seen:
            mismatches.append(
                Mismatch(
                    "paid_not_on_statement",
                    transfer.external_id,
                    transfer.claim_id,
                    transfer.partner_reference,
                    None,
                    transfer.amount,
                    None,
                    ACTIONS["paid_not_on_statement"],
                )
            )
    return matched, mismatches


# --- asking payees whether the money arrived ---------------------------------------------------------

ALWAYS_ASK_ABOVE = 50_000_000  # rupiah: every payee paid more is asked (issue 13)
DEFAULT_SURVEY_PERCENT = 10


def ask_if_money_arrived(claim_id: str, payee: str, amount: int, percent: float) -> bool:
    """Whether this payee is in the sample asked "did you receive it?". The draw is a hash of
    claim and payee, so a redelivered event draws the same."""
    if amount > ALWAYS_ASK_ABOVE:
        return True
    draw = int(hashlib.sha256(f"{claim_id}:{payee}".encode()).hexdigest()[:8], 16) % 10_000
    return draw < percent * 100

"""A claim: its type, its status, what was filed, and the checks made when it is filed.

Claim types (PP 44/2015 as amended by PP 82/2019):
  JKK        a work accident the participant survived (care, incapacity pay, disability);
  JKK_DEATH  death from a work accident (a JKK benefit, paid to the heirs);
  JKM        death not caused by work (paid to the heirs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from services.claims.domain.documents import DOCUMENT_KINDS, FAMILY_CARD, KTP_KINDS, NPWP
from shared.contracts.vocabulary import TRANSPORT_MODES
from shared.errors import FieldError, RuleViolation

if TYPE_CHECKING:
    from services.claims.domain.reasons import Reason


class ClaimType(StrEnum):
    JKK = "JKK"
    JKK_DEATH = "JKK_DEATH"
    JKM = "JKM"


DEATH_TYPES: frozenset[ClaimType] = frozenset({ClaimType.JKK_DEATH, ClaimType.JKM})


class ClaimStatus(StrEnum):
    FILED = "filed"
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"
    PAYOUT_RECORDED = "payout_recorded"
    AWAITING_FAMILY = "awaiting_family"  # opened from a registered death; the family has not come yet
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Reporter:
    """Who reported the incident. For BPU a workers' group, union or health facility may
    report a suspected work accident with the reporter's contact (Permenaker 1/2025
    art. 48A); `organisation` names it, or the reporter's relation to the participant
    ("istri", "anak") when a family member reports."""

    name: str
    phone: str | None = None  # E.164, +62…
    organisation: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClaimFiling:
    """What an officer files; field names follow the ClaimFiled event contract.

    `incident_date` is the day of the accident for JKK and JKK_DEATH (coverage and the
    5-year claim right are reckoned from the accident, even when death came later) and
    the day of death for JKM."""

    participant_id: str
    claim_type: ClaimType
    incident_date: date
    incident_place: str
    cause: str
    reporter: Reporter
    documents: Mapping[str, str] = field(default_factory=dict)  # kind -> number ("" if it has none)
    traffic_accident: bool = False
    incapacity_days: int | None = None  # JKK: days unable to work (STMB)
    disability_percent: int | None = None  # JKK: permanent disability, 100 = total
    # JKK and JKK_DEATH: what the transport to hospital cost, rupiah by mode (land, sea, air).
    transport_costs: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Guardian:
    """The wali through whom a minor heir's share is paid (named on the claim by a reviewer)."""

    name: str
    relationship: str  # to the child, as the reviewer wrote it ("ibu", "paman", "kakek")


@dataclass(frozen=True)
class Decision:
    """How a claim was decided: by the rules or by an officer."""

    status: ClaimStatus  # approved, rejected or needs_review
    decided_by: str  # "rules" or the officer's subject
    decided_on: date
    reasons: tuple[Reason, ...] = ()
    note: str = ""  # an officer's stated reason


@dataclass(frozen=True)
class Claim:
    claim_id: str
    filing: ClaimFiling
    filed_on: date
    status: ClaimStatus = ClaimStatus.FILED
    decision: Decision | None = None
    guardians: Mapping[str, Guardian] = field(default_factory=dict)  # heir_id -> wali
    payment_deadline: date | None = None  # set once the documents are complete (sla.deadline)

    @property
    def fingerprint(self) -> str:
        return incident_fingerprint(self.filing.participant_id, self.filing.claim_type, self.filing.incident_date)


def incident_fingerprint(participant_id: str, claim_type: ClaimType | str, incident_date: date) -> str:
    """The key two claims for the same incident share.

    A death is keyed by the person alone, whatever the date and whether filed as JKM or
    JKK_DEATH: a person dies once, so a second death claim (a typo in the date, the
    other death type, a second relative filing) is the same death. A non-fatal
    accident is keyed by person and day: the case to catch is one accident filed twice,
    e.g. by the family and by a workers' group (art. 48A lets both report). A JKK
    claim and a later JKK_DEATH for the same accident have different keys on purpose:
    a worker may be treated first and die of the injuries later.
    """
    if ClaimType(claim_type) in DEATH_TYPES:
        return f"death:{participant_id}"
    return f"accident:{participant_id}:{incident_date.isoformat()}"


def filing_fingerprint(filing: ClaimFiling) -> str | None:
    """The incident key of a filing as sent, before it is validated; None when it names no known
    claim type or no date (validate_filing refuses such a filing, so an admissible one has a key)."""
    claim_type = _claim_type(filing.claim_type)
    if claim_type is None or not isinstance(filing.incident_date, date):
        return None
    return incident_fingerprint(filing.participant_id, claim_type, filing.incident_date)


# E.164 for Indonesia: +62 then 8 to 12 digits. Landlines pass on purpose: the
# reporter may be a health facility (art. 48A), which calls from a fixed line.
_E164_ID = re.compile(r"^\+62\d{8,12}$")
# How people write the same numbers: 0813…, 62813…, +62 813-…, (0411) …; separators dropped.
_NATIONAL = re.compile(r"^(?:\+62|62|0)(\d{8,12})$")
_SEPARATORS = str.maketrans("", "", " -.()/")


def reporter_phone(raw: str | None) -> str | None:
    """The reporter's phone in E.164 when it is written the national way (0813…, 62813…), as
    enrollment accepts a participant's; anything else is returned as given, for
    validate_filing to refuse."""
    if raw is None or not raw.strip():
        return None
    match = _NATIONAL.match(raw.translate(_SEPARATORS))
    return f"+62{match.group(1)}" if match else raw


_DIGITS = re.compile(r"^\d+$")


def validate_filing(filing: ClaimFiling, today: date, participant_known: bool) -> None:
    """Raises one RuleViolation naming every broken field; returns None when the filing
    may be recorded. Whether the claim is *paid* is verification's business, not this."""
    errors: list[FieldError] = []

    claim_type = _claim_type(filing.claim_type)
    if claim_type is None:
        errors.append(
            FieldError(
                ("claim_type",), "claim_type_unknown", "claim_type_unknown: claim_type is one of JKK, JKK_DEATH, JKM"
            )
        )

    if not _text(filing.participant_id):
        errors.append(
            FieldError(
                ("participant_id",), "participant_id_required", "participant_id_required: give the participant's id"
            )
        )
    elif not participant_known:
        errors.append(
            FieldError(
                ("participant_id",),
                "participant_unknown",
                "participant_unknown: no participant with this id is enrolled; enrol the worker "
                "first, or check the id on the participant card",
            )
        )

    if filing.incident_date is None:
        errors.append(
            FieldError(
                ("incident_date",),
                "incident_date_required",
                "incident_date_required: give the incident date as YYYY-MM-DD",
            )
        )
    elif not isinstance(filing.incident_date, date):
        errors.append(
            FieldError(
                ("incident_date",),
                "incident_date_invalid",
                "incident_date_invalid: give the incident date as YYYY-MM-DD",
            )
        )
    elif filing.incident_date > today:
        errors.append(
            FieldError(
                ("incident_date",),
                "incident_date_in_future",
                f"incident_date_in_future: the incident date must be on or before today ({today.isoformat()})",
            )
        )

    # Place and cause: art. 48A asks for them in every work-accident report; for a death
    # they are what lets an officer tell a work death (JKK) from any other (JKM).
    if not _text(filing.incident_place):
        errors.append(
            FieldError(
                ("incident_place",),
                "incident_place_required",
                "incident_place_required: say where the incident happened",
            )
        )
    if not _text(filing.cause):
        errors.append(
            FieldError(
                ("cause",), "cause_required", "cause_required: say what happened (the cause of the accident or death)"
            )
        )

    errors.extend(_reporter_errors(filing.reporter))
    errors.extend(_document_errors(filing.documents))
    errors.extend(_accident_errors(filing, claim_type))
    errors.extend(_transport_errors(filing.transport_costs, claim_type))

    if errors:
        raise RuleViolation(errors)


def _claim_type(value: object) -> ClaimType | None:
    if not isinstance(value, str):
        return None
    try:
        return ClaimType(value)
    except ValueError:
        return None


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _reporter_errors(reporter: object) -> list[FieldError]:
    if not isinstance(reporter, Reporter):
        return [
            FieldError(
                ("reporter",), "reporter_required", "reporter_required: say who reports the incident (name and contact)"
            )
        ]
    errors: list[FieldError] = []
    if not _text(reporter.name):
        errors.append(
            FieldError(
                ("reporter", "name"), "reporter_name_required", "reporter_name_required: give the reporter's name"
            )
        )
    if reporter.phone is not None and not (isinstance(reporter.phone, str) and _E164_ID.match(reporter.phone)):
        # The number itself is not echoed: a phone number is personal data.
        errors.append(
            FieldError(
                ("reporter", "phone"),
                "phone_invalid",
                "phone_invalid: give the reporter's phone in E.164, e.g. +6281234567890",
            )
        )
    elif reporter.phone is None and _text(reporter.organisation):
        # Permenaker 1/2025 art. 48A: a group's report carries the reporter's contact.
        errors.append(
            FieldError(
                ("reporter", "phone"),
                "reporter_contact_required",
                "reporter_contact_required: a report by a workers' group, union or "
                "health facility needs the reporter's phone",
            )
        )
    return errors


def _document_errors(documents: object) -> list[FieldError]:
    if not isinstance(documents, Mapping):
        return [
            FieldError(
                ("documents",), "documents_format", "documents_format: documents maps a document kind to its number"
            )
        ]
    errors: list[FieldError] = []
    for kind, number in documents.items():
        loc = ("documents", kind)
        if kind not in DOCUMENT_KINDS:
            errors.append(
                FieldError(
                    loc,
                    "document_kind_unknown",
                    f"document_kind_unknown: kinds are {', '.join(sorted(DOCUMENT_KINDS))}",
                )
            )
        elif not isinstance(number, str):
            errors.append(
                FieldError(
                    loc,
                    "document_number_invalid",
                    "document_number_invalid: a document number is text ('' if it has none)",
                )
            )
        elif kind in KTP_KINDS or kind == FAMILY_CARD:
            # A KTP carries the holder's NIK and a KK its own 16-digit number. The number
            # is not echoed: a NIK is never shown in a message (shared/privacy.py).
            if not (len(number) == 16 and _DIGITS.match(number)):
                errors.append(
                    FieldError(
                        loc, "document_number_invalid", "document_number_invalid: a KTP or KK number has 16 digits"
                    )
                )
        elif kind == NPWP:
            # 15 digits for an NPWP issued before 2024; since then the 16-digit NIK serves
            # as NPWP. Dots and dashes as printed on the card are allowed.
            digits = number.replace(".", "").replace("-", "")
            if not (len(digits) in (15, 16) and _DIGITS.match(digits)):
                errors.append(
                    FieldError(loc, "document_number_invalid", "document_number_invalid: an NPWP has 15 or 16 digits")
                )
    return errors


def _accident_errors(filing: ClaimFiling, claim_type: ClaimType | None) -> list[FieldError]:
    errors: list[FieldError] = []
    for name in ("incapacity_days", "disability_percent"):
        value = getattr(filing, name)
        if value is None:
            continue
        if claim_type is not None and claim_type is not ClaimType.JKK:
            # Incapacity pay and disability are benefits of a worker who survived; after a
            # death they would be claimed under the earlier JKK claim, not this one.
            errors.append(
                FieldError(
                    (name,), "not_for_claim_type", f"not_for_claim_type: {name} belongs to a JKK accident claim only"
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int):
            errors.append(FieldError((name,), f"{name}_invalid", f"{name}_invalid: give a whole number"))
        elif name == "incapacity_days" and value < 0:
            errors.append(
                FieldError(
                    (name,),
                    "incapacity_days_out_of_range",
                    "incapacity_days_out_of_range: days unable to work cannot be negative",
                )
            )
        elif name == "disability_percent" and not 0 <= value <= 100:
            errors.append(
                FieldError(
                    (name,),
                    "disability_percent_out_of_range",
                    "disability_percent_out_of_range: disability is 0 to 100 percent "
                    "(100 = total permanent disability)",
                )
            )
    return errors


def _transport_errors(costs: object, claim_type: ClaimType | None) -> list[FieldError]:
    if not costs:
        return []
    if not isinstance(costs, Mapping):
        return [
            FieldError(
                ("transport_costs",),
                "transport_costs_format",
                "transport_costs_format: transport_costs maps land, sea or air to rupiah",
            )
        ]
    if claim_type is ClaimType.JKM:
        return [
            FieldError(
                ("transport_costs",),
                "not_for_claim_type",
                "not_for_claim_type: transport to hospital is a JKK benefit (JKK or JKK_DEATH)",
            )
        ]
    errors: list[FieldError] = []
    for mode, amount in costs.items():
        loc = ("transport_costs", mode)
        if mode not in TRANSPORT_MODES:
            errors.append(
                FieldError(
                    loc, "transport_mode_unknown", f"transport_mode_unknown: modes are {', '.join(TRANSPORT_MODES)}"
                )
            )
        elif isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            errors.append(
                FieldError(
                    loc,
                    "transport_cost_invalid",
                    "transport_cost_invalid: give what it cost in whole rupiah, 0 or more",
                )
            )
    return errors

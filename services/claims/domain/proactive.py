"""Proactive death claims: the civil registry reported a participant's death, and Jaring goes to
the family first (issue 19; docs/outreach.md).

    covered on the day of death, JKM enrolled, no standing death claim
        -> a JKM claim opened in status awaiting_family, with what a filed claim would pay
           (the same rule: payout.benefits_of) and the documents to bring (the checklist)
    otherwise -> nothing is sent; the outcome is counted
    awaiting the family for 5 working days -> the family is reminded, once
    5 more working days after the reminder -> on the kelurahan's home-visit list

The family's own filing completes the same claim (status filed, then the usual verification);
a second death claim for that person is refused (409) by the death fingerprint.

Pure: handed `today` (Makassar's calendar day, WITA) and the participant's facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.claims.domain.benefits import cash_total
from services.claims.domain.claim import Claim, ClaimFiling, ClaimStatus, ClaimType, Reporter
from services.claims.domain.documents import CHECKLIST, required_documents
from services.claims.domain.participant import ParticipantView
from services.claims.domain.payees import payee_heirs
from services.claims.domain.payout import benefits_of
from services.claims.domain.sla import is_working_day

# Jaring's own choices (not a regulation): how long the family is waited for before a
# reminder, and after it before the kelurahan visits. Working days, as officers count them.
REMINDER_AFTER_WORKING_DAYS = 5
HOME_VISIT_AFTER_WORKING_DAYS = 5

# Who "reported" a claim nobody filed: the civil registry. The family's reporter replaces it.
REGISTRY_REPORTER = Reporter(name="Catatan sipil (Disdukcapil)", organisation="civil_registry")
REGISTRY_CAUSE = "kematian tercatat di catatan sipil; penyebab belum diketahui"

# Outcomes of a reported death (counted; only OPENED reaches a family).
OPENED = "opened"
NOT_COVERED = "not_covered"
NOT_ENROLLED_IN_JKM = "not_enrolled_in_jkm"
ALREADY_CLAIMED = "already_claimed"
OUTCOMES = (OPENED, NOT_COVERED, NOT_ENROLLED_IN_JKM, ALREADY_CLAIMED)


@dataclass(frozen=True)
class ProactiveClaim:
    filing: ClaimFiling
    expected_amount: int  # cash a filed claim would pay on these facts
    documents: tuple[str, ...]  # checklist kinds to bring, in checklist order


def outcome_of_reported_death(participant: ParticipantView, date_of_death: date, standing_death_claim: bool) -> str:
    """Whether a reported death opens a claim: the participant must have been protected on the
    day of death and enrolled in JKM; a person dies once, so a standing death claim wins."""
    if standing_death_claim:
        return ALREADY_CLAIMED
    if "JKM" not in participant.programs:
        return NOT_ENROLLED_IN_JKM
    if not participant.is_protected_on(date_of_death):
        return NOT_COVERED
    return OPENED


def proactive_claim(participant: ParticipantView, date_of_death: date, place: str) -> ProactiveClaim:
    """The claim Jaring opens: JKM (the registry does not say whether the death came from work;
    a supervisor reclassifies it to JKK_DEATH when the family's filing shows it did)."""
    filing = ClaimFiling(
        participant_id=participant.participant_id,
        claim_type=ClaimType.JKM,
        incident_date=date_of_death,
        incident_place=place or "-",
        cause=REGISTRY_CAUSE,
        reporter=REGISTRY_REPORTER,
    )
    claim = Claim(claim_id="", filing=filing, filed_on=date_of_death, status=ClaimStatus.AWAITING_FAMILY)
    expected = cash_total(benefits_of(claim, participant))
    spouse = any(heir.is_spouse for heir in payee_heirs(participant.heirs))
    required = required_documents(str(ClaimType.JKM), False, spouse, expected)
    return ProactiveClaim(filing, expected, tuple(kind for kind in CHECKLIST if kind in required))


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def reminder_due(opened_on: date, reminded_on: date | None, today: date) -> bool:
    return reminded_on is None and working_days_between(opened_on, today) >= REMINDER_AFTER_WORKING_DAYS


def home_visit_due(reminded_on: date | None, today: date) -> bool:
    return reminded_on is not None and working_days_between(reminded_on, today) >= HOME_VISIT_AFTER_WORKING_DAYS

"""The rules that approve a claim, reject it, or refer it to an officer.

Each rule is a small function returning the reasons it finds (none when it passes);
reasons.outcome_of turns them into the outcome: any rejecting reason rejects, else any
review reason refers to an officer, else the claim is approved.

Verification is a pure function of the claim, the read model and the other claims'
fingerprints: re-run after documents arrive, or on replay, it gives the same answer
for the same facts. The claim is judged as filed on `claim.filed_on`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from services.claims.domain.benefits import cash_total, compute_benefits, is_short_membership
from services.claims.domain.claim import DEATH_TYPES, Claim, ClaimFiling, ClaimStatus, ClaimType
from services.claims.domain.dates import add_months
from services.claims.domain.documents import NPWP, NPWP_THRESHOLD_RUPIAH, POLICE_REPORT, missing_documents
from services.claims.domain.participant import ParticipantView
from services.claims.domain.payees import payee_heirs
from services.claims.domain.payout import minors_without_guardian
from services.claims.domain.reasons import Reason, ReasonCode, outcome_of
from services.reported_rules import reported
from shared.money import format_rupiah

# PP 82/2019: the right to claim JKK lapses 5 years after the accident (it was 2 years
# before). It concerns JKK benefits, so JKK_DEATH too; no such limit is applied to JKM.
JKK_CLAIM_RIGHT_YEARS = 5

# Which programme pays each claim type: a JKK death is a JKK benefit (art. 37(4)).
PROGRAMME_FOR: dict[ClaimType, str] = {
    ClaimType.JKK: "JKK",
    ClaimType.JKK_DEATH: "JKK",
    ClaimType.JKM: "JKM",
}


@dataclass(frozen=True)
class Verification:
    outcome: ClaimStatus  # approved, rejected or needs_review
    reasons: list[Reason]
    missing_documents: list[str]
    # The day the application was found complete, which starts the payment deadline
    # (sla.deadline); None while anything is missing or cannot be known. The handler
    # keeps the first such day when the rules run again.
    documents_complete_on: date | None


def verify_claim(
    claim: Claim,
    participant: ParticipantView | None,
    other_claims_fingerprints: Collection[str],
    today: date,
) -> Verification:
    """`other_claims_fingerprints`: the fingerprints of this participant's other claims
    that still stand (filed, needs_review, approved, payout_recorded). Rejected claims
    are left out by the caller, so a family may file again after a rejection."""
    filing = claim.filing
    claim_type = ClaimType(filing.claim_type)
    reasons = [
        *duplicate_incident(claim, other_claims_fingerprints),
        *claim_right_expired(filing, claim.filed_on),
    ]
    if participant is None:
        reasons += participant_not_in_read_model(filing)
        # Without the read model the payee and the payout are unknown, so the marriage
        # book and NPWP cannot be judged: the documents cannot be called complete.
        missing = missing_documents(claim_type, filing.traffic_accident, False, 0, filing.documents.keys())
        reasons += document_reasons(missing, 0)
        return Verification(outcome_of(reasons), reasons, missing, None)

    payout = cash_total(compute_benefits(claim_type, participant, filing.incident_date, filing))
    payee_is_spouse = claim_type in DEATH_TYPES and any(h.is_spouse for h in payee_heirs(participant.heirs))
    missing = missing_documents(claim_type, filing.traffic_accident, payee_is_spouse, payout, filing.documents.keys())
    reasons += [
        *not_covered_on_incident_date(filing, participant),
        *programme_not_enrolled(claim_type, participant),
        *document_reasons(missing, payout),
        *death_soon_after_enrolment(claim_type, filing.incident_date, participant),
        *no_heir(claim_type, participant),
        *guardian_missing(claim, participant, today),
    ]
    return Verification(outcome_of(reasons), reasons, missing, None if missing else today)


def duplicate_incident(claim: Claim, other_claims_fingerprints: Collection[str]) -> list[Reason]:
    if claim.fingerprint not in other_claims_fingerprints:
        return []
    what = (
        "a death claim for this participant already stands (a person dies once)"
        if ClaimType(claim.filing.claim_type) in DEATH_TYPES
        else f"a claim for this participant's accident on {claim.filing.incident_date.isoformat()} already stands"
    )
    return [Reason(ReasonCode.DUPLICATE_INCIDENT, f"{what}; add documents to that claim instead")]


def claim_right_expired(filing: ClaimFiling, filed_on: date) -> list[Reason]:
    if ClaimType(filing.claim_type) not in (ClaimType.JKK, ClaimType.JKK_DEATH):
        return []
    # Calendar years; an accident on 29 February reaches its 5 years on 28 February.
    # Filing on the anniversary itself is still in time ("lewat waktu" means after it).
    last_day = add_months(filing.incident_date, 12 * JKK_CLAIM_RIGHT_YEARS)
    if filed_on <= last_day:
        return []
    return [
        Reason(
            ReasonCode.CLAIM_RIGHT_EXPIRED,
            f"the accident was on {filing.incident_date.isoformat()}; the right to claim JKK lapsed after "
            f"{last_day.isoformat()}, {JKK_CLAIM_RIGHT_YEARS} years later (PP 82/2019), and the claim was filed on "
            f"{filed_on.isoformat()}",
        )
    ]


def not_covered_on_incident_date(filing: ClaimFiling, participant: ParticipantView) -> list[Reason]:
    day = filing.incident_date
    if participant.is_protected_on(day):
        return []
    last = participant.last_protected_day_before(day)
    if last is not None:
        ended = f"the last protected day before it was {last.isoformat()}"
    else:
        first = participant.first_protected_day_after(day)
        ended = (
            f"protection only started on {first.isoformat()}"
            if first is not None
            else "no contribution has ever protected this participant"
        )
    grace = reported("grace_months_after_last_paid")
    return [
        Reason(
            ReasonCode.NOT_COVERED_ON_INCIDENT_DATE,
            f"the incident on {day.isoformat()} is outside every protected period: {ended}. A paid month "
            f"protects through the {grace} months after it; paying later does not cover an earlier incident",
        )
    ]


def programme_not_enrolled(claim_type: ClaimType, participant: ParticipantView) -> list[Reason]:
    programme = PROGRAMME_FOR[claim_type]
    if programme in participant.programs:
        return []
    enrolled = ", ".join(sorted(participant.programs)) or "none"
    return [
        Reason(
            ReasonCode.PROGRAMME_NOT_ENROLLED,
            f"a {claim_type} claim is paid by {programme}, and the participant is not enrolled in it "
            f"(enrolled: {enrolled})",
        )
    ]


def document_reasons(missing: list[str], payout: int) -> list[Reason]:
    """A traffic accident's missing police report gets its own reason: it is the document
    most often missing, and the one the family must fetch from the police."""
    reasons: list[Reason] = []
    if POLICE_REPORT in missing:
        reasons.append(
            Reason(
                ReasonCode.POLICE_REPORT_MISSING,
                "a traffic accident needs the police report (laporan polisi) before the claim can be paid",
            )
        )
    others = [kind for kind in missing if kind != POLICE_REPORT]
    if others:
        why_npwp = (
            f" (NPWP because the payout {format_rupiah(payout)} exceeds {format_rupiah(NPWP_THRESHOLD_RUPIAH)})"
            if NPWP in others
            else ""
        )
        reasons.append(
            Reason(
                ReasonCode.DOCUMENTS_INCOMPLETE,
                f"missing: {', '.join(others)}{why_npwp}. The claim stays open; the payment deadline "
                f"starts when the documents are complete",
            )
        )
    return reasons


def death_soon_after_enrolment(claim_type: ClaimType, death_date: date, participant: ParticipantView) -> list[Reason]:
    """A death soon after joining is worth a person's look (was the worker enrolled when
    already ill or injured?) and never a refusal by itself. The window is the JKM
    short-membership window, so correcting that reported figure moves both."""
    if claim_type not in DEATH_TYPES or not is_short_membership(participant.member_since, death_date):
        return []
    months = reported("jkm_short_membership_months")
    effect = (
        "the short-membership JKM benefit applies"
        if claim_type is ClaimType.JKM
        else "JKK death has no short-membership limit; the full benefit applies"
    )
    return [
        Reason(
            ReasonCode.DEATH_SOON_AFTER_ENROLMENT,
            f"the incident on {death_date.isoformat()} is within {months} months of membership (member since "
            f"{participant.member_since.isoformat()}): check the circumstances; {effect}",
        )
    ]


def no_heir(claim_type: ClaimType, participant: ParticipantView) -> list[Reason]:
    if claim_type not in DEATH_TYPES or payee_heirs(participant.heirs):
        return []
    return [
        Reason(
            ReasonCode.NO_HEIR,
            "no heir is recorded: add the heirs named on the heir statement to the claim (a phone or email is "
            "not needed); without any heir only the funeral cost is paid, to whoever handled the burial, and the "
            "other benefits go to the Dana Jaminan Sosial (PP 44/2015 art. 37(5), 40(2))",
        )
    ]


def guardian_missing(claim: Claim, participant: ParticipantView, today: date) -> list[Reason]:
    minors = minors_without_guardian(claim, participant, today)
    if not minors:
        return []
    names = ", ".join(heir.full_name for heir in minors)
    return [
        Reason(
            ReasonCode.GUARDIAN_MISSING,
            f"{names}: under 18, paid through a guardian (wali); name the wali on the claim, then approve",
        )
    ]


def participant_not_in_read_model(filing: ClaimFiling) -> list[Reason]:
    # Intake refuses unknown participants (claim.validate_filing); this still happens when
    # claims' read model lags enrollment's events, or while it is being rebuilt.
    return [
        Reason(
            ReasonCode.PARTICIPANT_NOT_IN_READ_MODEL,
            f"participant {filing.participant_id} is not in the claims read model yet (enrollment's events may "
            f"not have arrived): check the participant, then run the rules again",
        )
    ]

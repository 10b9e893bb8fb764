"""Why a claim was rejected or referred to an officer: codes an officer can read, and
the one table that says which codes reject and which only ask for review.

Outcome precedence: any rejecting reason rejects the claim; otherwise any review
reason refers it to an officer; a claim with no reason is approved by the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from services.claims.domain.claim import ClaimStatus


class ReasonCode(StrEnum):
    NOT_COVERED_ON_INCIDENT_DATE = "NOT_COVERED_ON_INCIDENT_DATE"
    PROGRAMME_NOT_ENROLLED = "PROGRAMME_NOT_ENROLLED"
    CLAIM_RIGHT_EXPIRED = "CLAIM_RIGHT_EXPIRED"
    DUPLICATE_INCIDENT = "DUPLICATE_INCIDENT"
    DOCUMENTS_INCOMPLETE = "DOCUMENTS_INCOMPLETE"
    POLICE_REPORT_MISSING = "POLICE_REPORT_MISSING"
    DEATH_SOON_AFTER_ENROLMENT = "DEATH_SOON_AFTER_ENROLMENT"
    PARTICIPANT_NOT_IN_READ_MODEL = "PARTICIPANT_NOT_IN_READ_MODEL"
    NO_HEIR = "NO_HEIR"
    GUARDIAN_MISSING = "GUARDIAN_MISSING"
    SAMPLED_FOR_REVIEW = "SAMPLED_FOR_REVIEW"
    ABOVE_REVIEW_THRESHOLD = "ABOVE_REVIEW_THRESHOLD"


Effect = Literal["reject", "review"]

REASON_EFFECT: dict[ReasonCode, Effect] = {
    # Facts no document can change: the claim is refused.
    ReasonCode.NOT_COVERED_ON_INCIDENT_DATE: "reject",
    ReasonCode.PROGRAMME_NOT_ENROLLED: "reject",
    ReasonCode.CLAIM_RIGHT_EXPIRED: "reject",
    ReasonCode.DUPLICATE_INCIDENT: "reject",
    # Missing paperwork is not a refusal. PP 44/2015 art. 37(2) and 40(3) make BPJS pay
    # within days of a *complete* application; they do not refuse an incomplete one.
    # Rejecting would make a grieving family file again from scratch for a missing
    # NPWP, and the new claim would look like a duplicate. The claim stays open with
    # the list of what is missing; when the documents arrive the rules run again, and
    # an officer cannot approve it while anything is missing (decision.decide).
    ReasonCode.DOCUMENTS_INCOMPLETE: "review",
    ReasonCode.POLICE_REPORT_MISSING: "review",
    # Signals a person should weigh, never a refusal by themselves.
    ReasonCode.DEATH_SOON_AFTER_ENROLMENT: "review",
    ReasonCode.PARTICIPANT_NOT_IN_READ_MODEL: "review",
    ReasonCode.NO_HEIR: "review",
    # A minor's share is paid through a wali the reviewer names on the claim.
    ReasonCode.GUARDIAN_MISSING: "review",
    # Fraud controls (sampling.py): a claim the rules would approve is looked at first.
    ReasonCode.SAMPLED_FOR_REVIEW: "review",
    ReasonCode.ABOVE_REVIEW_THRESHOLD: "review",
}


@dataclass(frozen=True)
class Reason:
    code: str  # a ReasonCode value
    message: str  # what the officer reads: the fact, and what would change it

    @property
    def effect(self) -> Effect:
        return REASON_EFFECT[ReasonCode(self.code)]


def outcome_of(reasons: Iterable[Reason]) -> ClaimStatus:
    effects = {reason.effect for reason in reasons}
    if "reject" in effects:
        return ClaimStatus.REJECTED
    if "review" in effects:
        return ClaimStatus.NEEDS_REVIEW
    return ClaimStatus.APPROVED

"""Fraud controls: which claims the rules would approve go to a supervisor first.

Two kinds go to review instead of being paid at once (referred, never rejected):
  - a random share of them (the rate), so that no pattern of claims can count on never
    being looked at; and
  - every claim whose cash payout is above a value threshold.

The draw is a keyed hash of the claim id compared with the rate, not a random number:
run the rules again (documents arrive, a replay) and the claim is drawn the same way. The
key keeps the draw unpredictable to anyone who sees claim ids.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace

from services.claims.domain.claim import ClaimStatus
from services.claims.domain.reasons import Reason, ReasonCode
from services.claims.domain.verification import Verification
from shared.money import format_rupiah

_DRAW_SCALE = 2**64


@dataclass(frozen=True)
class ReviewSampling:
    rate: float  # 0.0 .. 1.0: the share of would-be-approved claims drawn for review
    above_rupiah: int  # a cash payout above this always goes to review
    key: bytes  # keys the draw


def draw(claim_id: str, key: bytes) -> float:
    """A number in [0, 1) that depends only on the claim id and the key."""
    digest = hmac.new(key, claim_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / _DRAW_SCALE


def review_reasons(claim_id: str, cash_total: int, sampling: ReviewSampling) -> list[Reason]:
    """Why a claim the rules would approve goes to a supervisor instead; empty when it does not."""
    reasons = []
    if cash_total > sampling.above_rupiah:
        reasons.append(
            Reason(
                ReasonCode.ABOVE_REVIEW_THRESHOLD,
                f"the payout {format_rupiah(cash_total)} is above {format_rupiah(sampling.above_rupiah)}: a supervisor "
                f"checks every claim this large before it is paid",
            )
        )
    if draw(claim_id, sampling.key) < sampling.rate:
        reasons.append(
            Reason(
                ReasonCode.SAMPLED_FOR_REVIEW,
                f"drawn at random for a supervisor's check ({sampling.rate:.0%} of the claims the rules approve are); "
                f"nothing in it is known to be wrong",
            )
        )
    return reasons


SAMPLING_CODES = frozenset({ReasonCode.SAMPLED_FOR_REVIEW, ReasonCode.ABOVE_REVIEW_THRESHOLD})


def refer_for_review(
    verification: Verification, claim_id: str, cash_total: int, sampling: ReviewSampling
) -> Verification:
    """The rules' verification, with a claim they would approve referred to a supervisor
    when it is drawn or above the threshold. Claims the rules reject or refer anyway are
    left as they are: they get a person's look, or no money, already."""
    if verification.outcome is not ClaimStatus.APPROVED:
        return verification
    extra = review_reasons(claim_id, cash_total, sampling)
    if not extra:
        return verification
    return replace(verification, outcome=ClaimStatus.NEEDS_REVIEW, reasons=[*verification.reasons, *extra])


def is_sampled(verification: Verification) -> bool:
    return any(reason.code in SAMPLING_CODES for reason in verification.reasons)

"""Fraud controls: a random share of would-be approvals, and every large one, go to review."""

import hashlib
import hmac

import pytest

from services.claims.domain.claim import ClaimStatus
from services.claims.domain.reasons import Reason, ReasonCode
from services.claims.domain.sampling import ReviewSampling, draw, is_sampled, refer_for_review, review_reasons
from services.claims.domain.verification import Verification

KEY = b"k" * 32
APPROVED = Verification(ClaimStatus.APPROVED, [], [], None)


def sampling(rate: float = 0.05, above: int = 100_000_000) -> ReviewSampling:
    return ReviewSampling(rate=rate, above_rupiah=above, key=KEY)


def codes(verification: Verification) -> list[str]:
    return [r.code for r in verification.reasons]


def test_the_draw_is_the_keyed_hash_of_the_claim_id():
    # First 8 bytes of HMAC-SHA256(key, claim id), big-endian, over 2^64.
    digest = hmac.new(KEY, b"CL-0123456789ab", hashlib.sha256).digest()
    assert draw("CL-0123456789ab", KEY) == int.from_bytes(digest[:8], "big") / 2**64


def test_the_same_claim_is_drawn_the_same_way_every_time_the_rules_run():
    first = [refer_for_review(APPROVED, f"CL-{n:012x}", 1_000_000, sampling(0.5)).outcome for n in range(200)]
    again = [refer_for_review(APPROVED, f"CL-{n:012x}", 1_000_000, sampling(0.5)).outcome for n in range(200)]
    assert first == again


def test_another_key_draws_other_claims():
    ids = [f"CL-{n:012x}" for n in range(200)]
    assert [draw(i, KEY) < 0.5 for i in ids] != [draw(i, b"x" * 32) < 0.5 for i in ids]


def test_about_the_configured_share_is_drawn():
    ids = [f"CL-{n:012x}" for n in range(20_000)]
    drawn = sum(draw(i, KEY) < 0.05 for i in ids)
    # 5 % of 20,000 = 1,000; the binomial standard deviation is sqrt(20,000 x 0.05 x 0.95) ≈ 31,
    # so 1,000 ± 5 x 31 holds but for a broken draw.
    assert 1_000 - 155 <= drawn <= 1_000 + 155


def test_rate_one_draws_every_claim_and_rate_zero_none():
    assert codes(refer_for_review(APPROVED, "CL-a", 1_000_000, sampling(1.0))) == ["SAMPLED_FOR_REVIEW"]
    assert refer_for_review(APPROVED, "CL-a", 1_000_000, sampling(0.0)) == APPROVED


def test_a_drawn_claim_goes_to_review_marked_sampled_not_rejected():
    referred = refer_for_review(APPROVED, "CL-a", 1_000_000, sampling(1.0))
    assert referred.outcome is ClaimStatus.NEEDS_REVIEW
    assert is_sampled(referred) and not is_sampled(APPROVED)


def test_a_payout_above_the_threshold_always_goes_to_review():
    # JKK death of an earner of 3,000,000: 48 x 3,000,000 + 10,000,000 + 12,000,000 = 166,000,000.
    referred = refer_for_review(APPROVED, "CL-a", 48 * 3_000_000 + 10_000_000 + 12_000_000, sampling(0.0))
    assert referred.outcome is ClaimStatus.NEEDS_REVIEW
    assert codes(referred) == ["ABOVE_REVIEW_THRESHOLD"]
    assert "Rp 166.000.000" in referred.reasons[0].message and "Rp 100.000.000" in referred.reasons[0].message


def test_a_payout_exactly_at_the_threshold_is_not_above_it():
    assert review_reasons("CL-a", 100_000_000, sampling(0.0)) == []
    assert [r.code for r in review_reasons("CL-a", 100_000_001, sampling(0.0))] == ["ABOVE_REVIEW_THRESHOLD"]


def test_large_and_drawn_gives_both_reasons():
    assert codes(refer_for_review(APPROVED, "CL-a", 200_000_000, sampling(1.0))) == [
        "ABOVE_REVIEW_THRESHOLD",
        "SAMPLED_FOR_REVIEW",
    ]


@pytest.mark.parametrize(
    "outcome, code",
    [
        (ClaimStatus.REJECTED, ReasonCode.NOT_COVERED_ON_INCIDENT_DATE),
        (ClaimStatus.NEEDS_REVIEW, ReasonCode.DOCUMENTS_INCOMPLETE),
    ],
)
def test_claims_the_rules_do_not_approve_are_left_as_they_are(outcome, code):
    verification = Verification(outcome, [Reason(code, "…")], [], None)
    assert refer_for_review(verification, "CL-a", 500_000_000, sampling(1.0)) == verification

"""How near a claim is to the payment deadline claims announced (the deadline's own arithmetic
is claims' rule, tested in tests/unit/claims/test_claims_sla.py)."""

from datetime import date

from services.console.domain.sla import standing

FRIDAY = date(2026, 11, 27)
JKM_DEADLINE = date(2026, 12, 2)  # 3 working days after Friday, as claims announces it


def test_a_claim_is_due_within_the_warning_days_and_late_after_the_deadline():
    on_time = standing("CL-1", "JKM", "approved", FRIDAY, JKM_DEADLINE, date(2026, 11, 28), warn_days=1)
    assert (on_time.days_left, on_time.days_since_complete, on_time.flag) == (4, 1, "ok")
    assert standing("CL-1", "JKM", "approved", FRIDAY, JKM_DEADLINE, date(2026, 12, 1), warn_days=1).flag == "due"
    assert standing("CL-1", "JKM", "approved", FRIDAY, JKM_DEADLINE, date(2026, 12, 2), warn_days=1).flag == "due"
    late = standing("CL-1", "JKM", "payout_recorded", FRIDAY, JKM_DEADLINE, date(2026, 12, 4), warn_days=1)
    assert (late.days_left, late.flag) == (-2, "late")

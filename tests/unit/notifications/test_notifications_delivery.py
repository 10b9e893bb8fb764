import pytest

from services.notifications.domain.delivery import Outcome, Status, after_attempt, next_retry_delay


def test_retry_delay_doubles_from_two_seconds_up_to_five_minutes():
    assert [next_retry_delay(a) for a in range(1, 11)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_retry_delay_honours_base_and_cap():
    assert next_retry_delay(1, base=0.5, cap=3) == 0.5
    assert next_retry_delay(4, base=0.5, cap=3) == 3


def test_retry_delay_for_a_huge_attempt_number_is_the_cap():
    assert next_retry_delay(10_000) == 300


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_are_counted_from_one(attempt):
    with pytest.raises(ValueError):
        next_retry_delay(attempt)


def test_delivered_message_is_delivered():
    assert after_attempt(1, Outcome.DELIVERED, max_attempts=5) is Status.DELIVERED
    assert after_attempt(5, "delivered", max_attempts=5) is Status.DELIVERED


def test_temporary_failure_below_the_limit_stays_pending_for_a_retry():
    assert after_attempt(1, Outcome.TEMPORARY_FAILURE, max_attempts=5) is Status.PENDING
    assert after_attempt(4, Outcome.TEMPORARY_FAILURE, max_attempts=5) is Status.PENDING


def test_temporary_failure_on_the_last_allowed_attempt_fails():
    assert after_attempt(5, Outcome.TEMPORARY_FAILURE, max_attempts=5) is Status.FAILED
    assert after_attempt(6, Outcome.TEMPORARY_FAILURE, max_attempts=5) is Status.FAILED


def test_permanent_failure_fails_at_once():
    assert after_attempt(1, Outcome.PERMANENT_FAILURE, max_attempts=5) is Status.FAILED


def test_unknown_outcome_and_bad_counts_are_refused():
    with pytest.raises(ValueError):
        after_attempt(1, "lost", max_attempts=5)
    with pytest.raises(ValueError):
        after_attempt(0, Outcome.DELIVERED, max_attempts=5)
    with pytest.raises(ValueError):
        after_attempt(1, Outcome.DELIVERED, max_attempts=0)

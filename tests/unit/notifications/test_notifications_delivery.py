import pytest

from services.notifications.domain.delivery import Outcome, Status, after_attempt, after_lost_answer, next_retry_delay


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


# --- a lost answer ---------------------------------------------------------------------------


def test_no_answer_is_asked_about_where_the_provider_can_be_asked_and_unknown_elsewhere():
    assert after_attempt(1, "no_answer", 5, can_look_up=True) is Status.SENDING  # the SMS gateway
    assert after_attempt(1, "no_answer", 5, can_look_up=False) is Status.UNKNOWN  # WhatsApp, email
    assert after_attempt(5, "no_answer", 5, can_look_up=False) is Status.UNKNOWN  # never "failed": it may be there


def test_a_message_whose_sender_was_lost_is_resent_only_if_the_provider_never_got_it():
    assert after_lost_answer(can_look_up=True, provider_has_it=True) is Status.DELIVERED
    assert after_lost_answer(can_look_up=True, provider_has_it=False) is Status.PENDING
    assert after_lost_answer(can_look_up=True, provider_has_it=None) is Status.SENDING  # ask again later
    assert after_lost_answer(can_look_up=False, provider_has_it=None) is Status.UNKNOWN

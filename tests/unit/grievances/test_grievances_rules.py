from datetime import UTC, date, datetime, timedelta

import pytest

from services.grievances.domain import grievance as g
from services.grievances.domain.calendar import add_working_days
from services.grievances.domain.family import ClaimForFamily, family_view
from services.grievances.domain.inbound import read_command
from services.grievances.domain.lookup import (
    CodeCheck,
    PendingLookup,
    PhoneOnClaim,
    after_wrong_code,
    check_code,
    clean_claim_number,
    code_hash,
    normalize_phone,
    person_with_phone,
)
from shared.errors import RuleViolation

FRIDAY = date(2026, 11, 27)
SECRET = "test-secret"
NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


def grievance(**overrides) -> g.Grievance:
    fields = dict(
        grievance_id="GRV-1",
        category="delay",
        channel="web",
        status="open",
        text="belum dibayar",
        filed_by="family",
        assigned_to="sup-a",
        filed_on=FRIDAY,
        due_on=date(2026, 12, 4),
        claim_id="CLM-1",
    )
    return g.Grievance(**{**fields, **overrides})


# --- deadlines -----------------------------------------------------------------------------------------------


def test_a_delay_grievance_filed_on_friday_is_due_five_working_days_later_skipping_the_weekend():
    # Fri 27 Nov + 5 working days: Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 Dec.
    assert g.resolution_due("delay", FRIDAY, g.DEFAULT_RESOLUTION_WORKING_DAYS) == date(2026, 12, 4)


def test_a_configured_deadline_overrides_the_default_and_holidays_are_skipped():
    # 2 working days after Fri 27 Nov with Mon 30 Nov a holiday: Tue 1, Wed 2 Dec.
    assert g.resolution_due("other", FRIDAY, {"other": 2}, holidays={date(2026, 11, 30)}) == date(2026, 12, 2)


def test_every_category_has_a_default_deadline():
    from shared.contracts.grievances import GRIEVANCE_CATEGORIES

    assert set(g.DEFAULT_RESOLUTION_WORKING_DAYS) == set(GRIEVANCE_CATEGORIES)
    assert add_working_days(FRIDAY, 0) == FRIDAY


def test_a_grievance_names_a_known_category_some_text_and_a_claim_or_participant():
    with pytest.raises(RuleViolation) as caught:
        g.check_filing("lost_card", "abc", None, None)
    assert {e.rule for e in caught.value.errors} == {"category_unknown", "text_length", "subject_required"}
    g.check_filing("amount", "jumlahnya kurang", None, "P-1")  # a participant is enough


def test_new_grievances_go_to_the_least_loaded_supervisor_ties_to_the_first_listed():
    assert g.choose_supervisor(["a", "b"], {"a": 2, "b": 1}) == "b"
    assert g.choose_supervisor(["a", "b"], {}) == "a"


# --- resolution, reopening, escalation ------------------------------------------------------------------------


def test_resolving_needs_words_for_the_family_and_an_open_grievance():
    with pytest.raises(RuleViolation):
        g.resolve(grievance(), "  ", "sup-a", FRIDAY)
    done = g.resolve(grievance(), "Sudah ditransfer hari ini.", "sup-a", date(2026, 12, 1))
    assert (done.status, done.resolved_on) == ("resolved", date(2026, 12, 1))
    with pytest.raises(RuleViolation):
        g.resolve(done, "again", "sup-a", date(2026, 12, 1))


def test_a_resolved_grievance_can_be_reopened_on_the_fourteenth_day_and_not_the_fifteenth():
    done = g.resolve(grievance(), "Sudah ditransfer.", "sup-a", date(2026, 12, 1))
    reopened = g.reopen(done, date(2026, 12, 15), g.DEFAULT_RESOLUTION_WORKING_DAYS)  # 1 Dec + 14 days
    # a fresh deadline from the reopening day: Tue 15 Dec + 5 working days = Tue 22 Dec
    assert (reopened.status, reopened.due_on, reopened.reopen_count) == ("open", date(2026, 12, 22), 1)
    with pytest.raises(RuleViolation) as caught:
        g.reopen(done, date(2026, 12, 16), g.DEFAULT_RESOLUTION_WORKING_DAYS)
    assert caught.value.errors[0].rule == "reopen_window_passed"


def test_an_open_grievance_is_overdue_the_day_after_its_deadline_and_escalates_once():
    late = grievance(due_on=date(2026, 12, 4))
    assert not g.is_overdue(late, date(2026, 12, 4))
    assert g.is_overdue(late, date(2026, 12, 5))
    assert not g.is_overdue(grievance(escalated_to="kepala-cabang"), date(2026, 12, 5))
    assert not g.is_overdue(grievance(status="resolved"), date(2026, 12, 5))


# --- Lacak Klaim ----------------------------------------------------------------------------------------------


def pending(code: str | None = "123456", expires_in: timedelta = timedelta(minutes=5), used: bool = False):
    stored = code_hash(SECRET, "L1", code) if code else None
    return PendingLookup("L1", "CLM-1", stored, NOW + expires_in, used)


def test_the_right_code_within_five_minutes_opens_the_claim():
    assert check_code(pending(), "123456", SECRET, None, NOW) is CodeCheck.OK


def test_a_code_is_refused_once_five_minutes_have_passed_or_once_used():
    assert check_code(pending(expires_in=timedelta(0)), "123456", SECRET, None, NOW) is CodeCheck.EXPIRED
    assert check_code(pending(used=True), "123456", SECRET, None, NOW) is CodeCheck.EXPIRED


def test_a_lookup_that_sent_no_code_answers_wrong_for_any_code_like_a_wrong_code():
    assert check_code(pending(code=None), "123456", SECRET, None, NOW) is CodeCheck.WRONG
    assert check_code(pending(), "654321", SECRET, None, NOW) is CodeCheck.WRONG


def test_the_fifth_wrong_code_locks_the_claim_for_fifteen_minutes():
    wrong, lock = 0, None
    for _ in range(4):
        wrong, lock = after_wrong_code(wrong, NOW)
        assert lock is None
    wrong, lock = after_wrong_code(wrong, NOW)
    assert (wrong, lock) == (0, NOW + timedelta(minutes=15))
    assert check_code(pending(), "123456", SECRET, lock, NOW + timedelta(minutes=14)) is CodeCheck.LOCKED
    assert (
        check_code(pending(expires_in=timedelta(minutes=30)), "123456", SECRET, lock, NOW + timedelta(minutes=15))
        is CodeCheck.OK
    )


def test_codes_are_stored_keyed_and_bound_to_their_lookup():
    assert code_hash(SECRET, "L1", "123456") != code_hash(SECRET, "L2", "123456")
    assert code_hash(SECRET, "L1", "123456") != code_hash("other", "L1", "123456")
    assert "123456" not in code_hash(SECRET, "L1", "123456")


def test_phones_are_read_as_families_write_them():
    assert normalize_phone("0812-3456-7890") == "+6281234567890"
    assert normalize_phone("62 812 3456 7890") == "+6281234567890"
    assert normalize_phone("12") is None
    assert clean_claim_number(" cl-ABC123def456 ") == "CL-abc123def456"
    assert clean_claim_number("x'; drop") is None


def test_an_heir_with_the_phone_comes_before_the_reporter_with_the_same_phone():
    people = [PhoneOnClaim("reporter", "+6281"), PhoneOnClaim("H-1", "+6281"), PhoneOnClaim("H-2", "+6282")]
    assert person_with_phone("+6281", people).heir_id == "H-1"
    assert person_with_phone("+6283", people) is None


def test_a_person_sees_their_own_share_only_and_the_reporter_none():
    claim = ClaimForFamily(
        "CLM-1", "JKM", "payout_recorded", (), date(2026, 12, 2), {"H-1": 21_000_000, "H-2": 21_000_000}, "paid"
    )
    mine = family_view(claim, "H-1")
    assert (mine.amount, mine.payment_status) == (21_000_000, "paid")
    reporter = family_view(claim, "reporter")
    assert (reporter.amount, reporter.payment_status) == (None, "not_recorded")


def test_missing_documents_show_only_while_the_claim_waits_for_them():
    waiting = ClaimForFamily("CLM-1", "JKM", "needs_review", ("death_certificate",), None, {}, None)
    assert family_view(waiting, "H-1").missing_documents == ("death_certificate",)
    decided = ClaimForFamily("CLM-1", "JKM", "rejected", ("death_certificate",), None, {}, None)
    assert family_view(decided, "H-1").missing_documents == ()


# --- messages in -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, argument",
    [
        ("STATUS CL-abc", "status", "CL-abc"),
        ("status: CL-ABC tolong", "status", "CL-ABC"),
        ("ADUAN uang belum masuk", "grievance", "uang belum masuk"),
        ("Pengaduan: ahli waris salah", "grievance", "ahli waris salah"),
    ],
)
def test_status_and_aduan_are_read_in_any_case(text, kind, argument):
    command = read_command(text)
    assert (command.kind, command.argument) == (kind, argument)


@pytest.mark.parametrize("text", ["halo", "STATUS", "ADUAN   ", "STATUSKU CLM-1"])
def test_other_messages_are_not_commands(text):
    assert read_command(text) is None

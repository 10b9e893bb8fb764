"""Disbursement rules: whose account this is, which status may follow which, what a statement
that disagrees with Jaring's transfers lists, and SNAP signatures as the bank checks them."""

from datetime import UTC, datetime, timedelta

import pytest

from deploy.local.standins import bank as standin
from services.claims.domain.disbursement import (
    PaidTransfer,
    PayeeAccount,
    StatementEntry,
    attempt_may_become,
    line_status_of,
    names_match,
    reconcile,
    validate_account,
)
from shared import snap
from shared.errors import RuleViolation


@pytest.mark.parametrize(
    "payee, holder",
    [
        ("Muh. Ridwan", "MUHAMMAD RIDWAN"),
        ("Muhammad Ridwan", "MOH RIDWAN"),
        ("Sitti Rahmawati", "SITI RAHMAWATI"),
        ("Hj. Bahariah", "HAJJAH BAHARIAH"),
        ("A. Baso", "ANDI BASO"),
        ("Andi Baso Makkulau", "ANDI BASO"),  # the bank cut the name to its first words
        ("Drs. Abd. Rahman", "ABDUL RAHMAN"),
    ],
)
def test_indonesian_name_variants_are_the_same_payee(payee, holder):
    assert names_match(payee, holder)


@pytest.mark.parametrize(
    "payee, holder",
    [
        ("Muh. Ridwan", "NAMA TIDAK SESUAI"),
        ("Andi Baso", "BASO ANDI"),  # the same words in another order are another person's name
        ("Andi Baso", "ANDI"),  # one word is too little to say it is the payee
        ("Nurul Aisyah", "RUSLI"),
        ("Andi Baso", ""),
    ],
)
def test_someone_elses_name_on_the_account_does_not_match(payee, holder):
    assert not names_match(payee, holder)


def test_a_bank_account_needs_a_bank_code_and_digits_and_never_a_nik():
    validate_account(PayeeAccount("bank", "Andi Baso", "002", "1111000001"))
    validate_account(PayeeAccount("cash", "Andi Baso"))
    with pytest.raises(RuleViolation) as refused:
        validate_account(PayeeAccount("bank", "Andi Baso", "BRI", "0123-01"))
    assert {e.rule for e in refused.value.errors} == {"bank_code_invalid", "account_number_invalid"}
    with pytest.raises(RuleViolation) as refused:
        validate_account(PayeeAccount("bank", "Andi Baso", "002", "7371034506920001"))
    assert [e.rule for e in refused.value.errors] == ["account_number_looks_like_nik"]
    with pytest.raises(RuleViolation) as refused:
        validate_account(PayeeAccount("cash", "Andi Baso", "002", "1111000001"))
    assert [e.rule for e in refused.value.errors] == ["cash_has_no_account"]


def test_a_final_attempt_stays_final_whatever_the_bank_says_again():
    assert attempt_may_become("sending", "succeeded") and attempt_may_become("pending", "rejected")
    assert not attempt_may_become("succeeded", "rejected")
    assert not attempt_may_become("rejected", "succeeded")
    assert not attempt_may_become("succeeded", "succeeded")
    assert attempt_may_become("succeeded", "reversed") and not attempt_may_become("pending", "reversed")
    assert [line_status_of(s) for s in ("sending", "pending", "succeeded", "rejected", "reversed")] == [
        "pending",
        "pending",
        "succeeded",
        "rejected",
        "received",
    ]


def test_a_statement_lists_each_kind_of_mismatch_with_an_action():
    paid = [
        PaidTransfer("e1", "e1", "CL-1", 10_000_000),
        PaidTransfer("e2", "e2", "CL-1", 20_000_000),
        PaidTransfer("e3", "e3", "CL-2", 12_000_000),
    ]
    entries = [
        StatementEntry("e1", 10_000_000, "BNK1"),  # matches
        StatementEntry("e2", 2_000_000, "BNK2"),  # booked 18,000,000 less than sent
        StatementEntry("x9", 5_000_000, "BNK9"),
    ]  # no Jaring transfer has this reference
    matched, mismatches = reconcile(paid, entries)  # e3 is paid but not on the statement
    assert matched == 1
    assert sorted((m.kind, m.end_to_end_id, m.expected, m.booked) for m in mismatches) == [
        ("amount_differs", "e2", 20_000_000, 2_000_000),
        ("paid_not_on_statement", "e3", 12_000_000, None),
        ("unknown_on_statement", "x9", None, 5_000_000),
    ]
    assert all(m.action for m in mismatches)


def test_jaring_and_the_bank_standin_sign_the_same_way():
    body = b'{"b": 1,  "a": "x"}'
    stamp = "2026-11-29T10:00:00+07:00"
    mine = snap.signature("s3cret", "POST", "/v1.0/transfer-interbank", body, stamp)
    assert mine == standin.sign("s3cret", "POST", "/v1.0/transfer-interbank", body, stamp)
    # The path is signed: the same body for another path is another signature.
    assert mine != snap.signature("s3cret", "POST", "/v1.0/transfer/status", body, stamp)


def test_a_notification_is_refused_when_forged_stale_or_for_another_path():
    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    stamp = snap.timestamp(now)
    body = b'{"originalExternalId":"1"}'
    good = snap.signature("k", "POST", "/notify", body, stamp)
    assert snap.authentic("k", "POST", "/notify", body, stamp, good, now) is None
    assert snap.authentic("k", "POST", "/notify", b'{"originalExternalId":"2"}', stamp, good, now) is not None
    assert snap.authentic("k", "POST", "/other", body, stamp, good, now) is not None
    assert snap.authentic("other-key", "POST", "/notify", body, stamp, good, now) is not None
    late = now + timedelta(minutes=5, seconds=1)
    assert "window" in snap.authentic("k", "POST", "/notify", body, stamp, good, late)


def test_claims_refuses_to_start_without_the_banks_secret(monkeypatch):
    from services.claims.app import build_spec
    from services.claims.settings import ClaimsSettings

    monkeypatch.delenv("CLAIMS_BANK_CLIENT_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="CLAIMS_BANK_CLIENT_SECRET"):
        build_spec(ClaimsSettings())
    with pytest.raises(ValueError, match="client secret"):
        standin.create_app("/tmp/never-used-bank", secret="")

"""Every word claims puts on the wire has its words where people read it: the console's
table and notifications' tables cover every value of shared.contracts.vocabulary, and the
claims domain and enrollment use the same values."""

from __future__ import annotations

from typing import get_args

import pytest

from services.claims.domain.claim import ClaimStatus, ClaimType
from services.claims.domain.reasons import REASON_EFFECT, ReasonCode
from services.console import i18n
from services.enrollment.domain import heirs as enrollment_heirs
from services.notifications.domain import wording
from services.notifications.domain.money import format_rupiah as family_rupiah
from shared.contracts import EVENT_TYPES
from shared.contracts import vocabulary as v
from shared.contracts.notifications import Channel
from shared.money import format_rupiah


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("component_", v.PAYOUT_COMPONENTS),
        ("status_", v.CLAIM_STATUSES),
        ("type_", v.CLAIM_TYPES),
        ("disbursement_", v.DISBURSEMENT_STATUSES),
        ("kind_", v.PAYOUT_KINDS),
        ("reason_", v.REASON_CODES),
        ("segment_", v.SEGMENTS),
        ("relationship_", v.RELATIONSHIPS),
        ("event_", tuple(EVENT_TYPES)),
        ("channel_", get_args(Channel)),
    ],
)
def test_the_console_has_words_for_every_value(prefix, values):
    assert [value for value in values if f"{prefix}{value}" not in i18n.TEXT] == []


def test_the_console_shows_words_not_raw_keys_for_incapacity_and_disability():
    en = i18n.translator("en")
    assert en("component_temporary_incapacity") == "Pay while unable to work (STMB)"
    assert en("component_permanent_disability") == "Permanent disability benefit"


def test_notifications_have_words_for_every_claim_type_and_payout_component():
    assert [t for t in v.CLAIM_TYPES if t not in wording.CLAIM_TYPE_WORDS] == []
    assert [c for c in v.PAYOUT_COMPONENTS if c not in wording.COMPONENT_WORDS] == []


def test_notifications_explain_every_reason_the_rules_give():
    # OFFICER_APPROVED explains nothing to a family; every reason that refers or rejects does.
    assert [
        code for code in v.REASON_CODES if code != "OFFICER_APPROVED" and code not in wording.REASON_SENTENCES
    ] == []


def test_the_claims_domain_uses_the_vocabulary():
    assert tuple(ClaimType) == v.CLAIM_TYPES
    assert tuple(ClaimStatus) == v.CLAIM_STATUSES
    assert set(ReasonCode) <= set(v.REASON_CODES)
    assert set(REASON_EFFECT) == set(ReasonCode)


def test_enrollment_accepts_the_segments_of_the_vocabulary():
    from services.enrollment.domain.places import SEGMENTS

    assert SEGMENTS == v.SEGMENTS


def test_enrollment_ranks_heirs_by_the_same_table():
    assert enrollment_heirs.PRECEDENCE == v.HEIR_PRECEDENCE
    assert set(v.RELATIONSHIPS) == set(v.HEIR_PRECEDENCE)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (42_000_000, "Rp 42.000.000"),
        (8_400, "Rp 8.400"),
        (0, "Rp 0"),
        (-8_400, "-Rp 8.400"),
        (999, "Rp 999"),
    ],
)
def test_rupiah_is_written_one_way(amount, shown):
    assert format_rupiah(amount) == shown
    if amount >= 0:
        assert i18n.rupiah(amount) == shown
        assert family_rupiah(amount) == shown


def test_rupiah_refuses_a_float():
    with pytest.raises(TypeError):
        format_rupiah(1.5)  # type: ignore[arg-type]


def test_notifications_tell_the_payment_deadlines_claims_counts():
    # Notifications words the deadline per programme (a JKK death runs on JKK's days).
    assert {"JKM": v.PAYMENT_WORKING_DAYS["JKM"], "JKK": v.PAYMENT_WORKING_DAYS["JKK"]} == wording.SLA_WORKING_DAYS
    assert v.PAYMENT_WORKING_DAYS["JKK_DEATH"] == v.PAYMENT_WORKING_DAYS["JKK"]

from datetime import date

import pytest

from services.enrollment.domain.heirs import Heir, validate_heirs
from shared.errors import RuleViolation

TODAY = date(2026, 11, 29)


def refused(raw_heirs):
    with pytest.raises(RuleViolation) as refusal:
        validate_heirs(raw_heirs, TODAY)
    return [(e.loc, e.rule) for e in refusal.value.errors]


@pytest.mark.parametrize(
    ("relationship", "precedence"),
    [
        ("spouse", 1),
        ("child", 1),
        ("parent", 2),
        ("grandchild", 3),
        ("grandparent", 4),
        ("sibling", 5),
        ("parent_in_law", 6),
        ("named_in_will", 7),
    ],
)
def test_precedence_follows_pp_44_2015_from_the_relationship(relationship, precedence):
    [heir] = validate_heirs([{"full_name": "Daeng Ngai", "relationship": relationship, "phone": "081242009999"}], TODAY)
    assert heir.precedence == precedence


def test_heir_is_stored_with_e164_phone_and_indonesian_by_default():
    [heir] = validate_heirs(
        [{"full_name": " Andi   Baso ", "relationship": "spouse", "phone": "0813 4200 1111"}], TODAY
    )
    assert heir == Heir("Andi Baso", "spouse", "+6281342001111", None, "id", 1)


def test_heir_reached_by_email_only_in_english():
    [heir] = validate_heirs(
        [{"full_name": "Nurul", "relationship": "child", "email": "nurul@example.id", "language": "en"}], TODAY
    )
    assert (heir.phone, heir.email, heir.language) == (None, "nurul@example.id", "en")


def test_caller_cannot_set_an_heirs_precedence():
    [heir] = validate_heirs(
        [{"full_name": "Daeng Ngai", "relationship": "sibling", "phone": "081242009999", "precedence": 1}], TODAY
    )
    assert heir.precedence == 5


def test_heir_without_phone_or_email_is_recorded():
    # An elderly parent with neither: the heir statement and the KK prove the tie.
    [heir] = validate_heirs([{"full_name": "Daeng Ngai", "relationship": "parent", "phone": " ", "email": None}], TODAY)
    assert (heir.full_name, heir.phone, heir.email, heir.precedence) == ("Daeng Ngai", None, None, 2)


def test_heir_birth_date_is_kept_as_a_date():
    [heir] = validate_heirs([{"full_name": "Nurul", "relationship": "child", "birth_date": "2019-02-28"}], TODAY)
    assert heir.birth_date == date(2019, 2, 28)


@pytest.mark.parametrize(
    ("birth_date", "rule"),
    [
        ("2026-11-30", "birth_date_in_future"),  # the day after TODAY
        ("1899-12-31", "birth_date_before_1900"),
        ("28/02/2019", "birth_date_format"),
    ],
)
def test_heir_birth_date_in_the_future_before_1900_or_unreadable_is_refused(birth_date, rule):
    assert refused([{"full_name": "Nurul", "relationship": "child", "birth_date": birth_date}]) == [
        (("heirs", 0, "birth_date"), rule),
    ]


def test_heir_birth_date_of_today_and_of_1900_are_accepted():
    heirs = validate_heirs(
        [
            {"full_name": "Baby", "relationship": "child", "birth_date": "2026-11-29"},
            {"full_name": "Nenek", "relationship": "grandparent", "birth_date": "1900-01-01"},
        ],
        TODAY,
    )
    assert [h.birth_date for h in heirs] == [date(2026, 11, 29), date(1900, 1, 1)]


def test_heir_errors_name_the_heir_and_the_field():
    assert refused(
        [
            {"full_name": "Andi Baso", "relationship": "spouse", "phone": "081342001111"},
            {
                "full_name": "",
                "relationship": "cousin",
                "phone": "0411 871234",
                "email": "not-an-email",
                "language": "bug",
            },
        ]
    ) == [
        (("heirs", 1, "full_name"), "full_name_required"),
        (("heirs", 1, "relationship"), "heir_relationship_unknown"),
        (("heirs", 1, "phone"), "phone_invalid"),
        (("heirs", 1, "email"), "email_invalid"),
        (("heirs", 1, "language"), "heir_language_unknown"),
    ]


@pytest.mark.parametrize("email", ["a@b", "a b@c.id", "@c.id", "a@@c.id", "a@c."])
def test_malformed_emails_are_refused(email):
    assert refused([{"full_name": "X", "relationship": "child", "email": email}]) == [
        (("heirs", 0, "email"), "email_invalid"),
    ]


def test_several_spouses_share_the_first_rank():
    heirs = validate_heirs(
        [
            {"full_name": "Wife One", "relationship": "spouse", "phone": "081342001111"},
            {"full_name": "Wife Two", "relationship": "spouse", "phone": "081342002222"},
        ],
        TODAY,
    )
    assert [h.precedence for h in heirs] == [1, 1]


def test_a_participant_may_have_no_heirs_listed():
    assert validate_heirs([], TODAY) == []


def test_heirs_must_be_a_list_of_objects():
    assert refused({"full_name": "X"}) == [(("heirs",), "heirs_format")]
    assert refused(["Andi"]) == [(("heirs", 0), "heir_format")]

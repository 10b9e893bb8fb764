import pytest

from services.enrollment.domain.phone import normalize_phone
from shared.errors import RuleViolation


@pytest.mark.parametrize("raw", ["081242001234", "+6281242001234", "6281242001234",
                                 "0812-4200-1234", " +62 812 4200 1234 ", "(0812) 4200.1234"])
def test_indonesian_mobile_number_is_stored_in_e164(raw):
    assert normalize_phone(raw, ("phone",)) == "+6281242001234"


@pytest.mark.parametrize("raw", ["0812", "08124200123456789", "+14155552671", "hello", "", None, 81242001234])
def test_anything_but_an_indonesian_number_is_refused(raw):
    with pytest.raises(RuleViolation) as refused:
        normalize_phone(raw, ("heirs", 0, "phone"))
    [error] = refused.value.errors
    assert (error.loc, error.rule) == (("heirs", 0, "phone"), "phone_invalid")


def test_makassar_landline_is_refused_as_not_mobile():
    with pytest.raises(RuleViolation) as refused:
        normalize_phone("0411 871234", ("phone",))
    [error] = refused.value.errors
    assert error.rule == "phone_invalid"
    assert "not a mobile number" in error.msg


def test_refusal_does_not_echo_the_number():
    with pytest.raises(RuleViolation) as refused:
        normalize_phone("+14155552671", ("phone",))
    assert "4155552671" not in str(refused.value)

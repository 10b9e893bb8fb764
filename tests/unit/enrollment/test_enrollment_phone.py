import random

import phonenumbers
import pytest

from services.enrollment.domain.phone import _SEPARATORS, _parse, normalize_phone
from shared.errors import RuleViolation


@pytest.mark.parametrize(
    "raw",
    ["081242001234", "+6281242001234", "6281242001234", "0812-4200-1234", " +62 812 4200 1234 ", "(0812) 4200.1234"],
)
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


def test_plainly_written_numbers_are_read_as_libphonenumber_reads_them():
    # phone.py reads 08…, 62 8… and +62 8… itself (speed); the verdict must not change.
    def as_parsed(number):
        if number is None:
            return None
        return (
            number.country_code,
            phonenumbers.national_significant_number(number),
            phonenumbers.number_type(number),
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        )

    rng = random.Random(62)
    for _ in range(20_000):
        digits = "8" + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 15)))
        raw = rng.choice(["0", "62", "+62", "+62 ", "(0"]) + "-".join([digits[:3], digits[3:7], digits[7:]])
        text = raw.strip().translate(_SEPARATORS)
        library = phonenumbers.parse("+" + text if text.startswith("62") else text, "ID")
        assert as_parsed(_parse(raw)) == as_parsed(library), raw

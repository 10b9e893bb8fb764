"""Looking a participant up by full NIK or phone: the keys are read as enrollment stores them."""

import pytest

from services.enrollment.handlers import lookup_keys
from shared.errors import RuleViolation


def test_a_nik_typed_in_groups_is_read_as_its_sixteen_digits():
    assert lookup_keys("7371 0345 0692 0001", None) == ("7371034506920001", None)


def test_a_phone_written_the_national_way_is_read_as_e164():
    assert lookup_keys(None, "0813 4200 1111") == (None, "+6281342001111")


@pytest.mark.parametrize(
    ("nik", "phone", "refused"),
    [
        ("737103450692", None, {("nik",): "nik_format"}),
        (None, "0411-abc", {("phone",): "phone_invalid"}),
        (None, None, {("nik",): "nik_or_phone_required"}),
        ("", "  ", {("nik",): "nik_or_phone_required"}),
    ],
)
def test_a_lookup_without_a_readable_nik_or_phone_is_refused_naming_the_field(nik, phone, refused):
    with pytest.raises(RuleViolation) as caught:
        lookup_keys(nik, phone)
    assert {e.loc: e.rule for e in caught.value.errors} == refused

import pytest

from services.notifications.domain.money import format_rupiah


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "Rp 0"),
        (999, "Rp 999"),
        (8_400, "Rp 8.400"),
        (1_000_000, "Rp 1.000.000"),
        (42_000_000, "Rp 42.000.000"),
        (174_000_000, "Rp 174.000.000"),
        (624_000_000_000, "Rp 624.000.000.000"),
    ],
)
def test_rupiah_is_grouped_with_dots_and_has_no_decimals(amount, shown):
    assert format_rupiah(amount) == shown


def test_negative_amount_is_refused():
    with pytest.raises(ValueError):
        format_rupiah(-1)


@pytest.mark.parametrize("amount", [42_000_000.0, "42000000", True])
def test_non_integer_amount_is_refused(amount):
    with pytest.raises(TypeError):
        format_rupiah(amount)

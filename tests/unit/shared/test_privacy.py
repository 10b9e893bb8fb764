"""The NIK mask shows at most the province and city digits (UU 27/2022; issue 15)."""

from shared.privacy import mask_nik, mask_niks_in

# The README's example: a woman born 5 June 1992, registered in Makassar (73.71), district 03.
NIK = "7371034506920001"


def test_a_masked_nik_shows_only_province_and_city():
    assert mask_nik(NIK) == "7371" + "*" * 12


def test_no_digit_after_the_city_code_survives_the_mask():
    masked = mask_nik(NIK)
    assert len(masked) == 16
    assert all(c == "*" for c in masked[4:])


def test_niks_inside_free_text_are_masked_the_same_way():
    text = f"ktp={NIK}; kk 7371030101900001, phone 081234567890"
    assert mask_niks_in(text) == "ktp=7371************; kk 7371************, phone 081234567890"


def test_longer_digit_runs_are_not_taken_for_a_nik():
    account = "12345678901234567"  # 17 digits: a bank account, not a NIK
    assert mask_niks_in(account) == account

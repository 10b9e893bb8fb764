from services.enrollment.domain.places import KECAMATAN, SEGMENTS, canonical_kecamatan, is_segment


def test_makassar_has_fifteen_kecamatan_including_kepulauan_sangkarrang():
    assert len(KECAMATAN) == len(set(KECAMATAN)) == 15
    assert "Kepulauan Sangkarrang" in KECAMATAN


def test_kecamatan_is_matched_regardless_of_case_and_spacing():
    assert canonical_kecamatan("  ujung   PANDANG ") == "Ujung Pandang"
    assert canonical_kecamatan("Panakkukang") == "Panakkukang"


def test_kecamatan_outside_makassar_or_misspelt_is_unknown():
    assert canonical_kecamatan("Somba Opu") is None  # Gowa
    assert canonical_kecamatan("Panakukang") is None
    assert canonical_kecamatan(None) is None


def test_work_segments():
    assert SEGMENTS == ("market_trader", "daily_worker", "micro_business", "driver", "fisher", "other")
    assert is_segment("fisher") and not is_segment("farmer")

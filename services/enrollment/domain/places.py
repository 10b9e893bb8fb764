"""Where a participant lives and what work they do: the closed lists Jaring accepts.

Jaring is run by the city of Makassar, so the kecamatan (district) list is the city's
own fifteen. Kepulauan Sangkarrang is the newest: split from Ujung Tanah in 2015
(Perda Kota Makassar 5/2015), hence fifteen rather than the older fourteen.
"""

from __future__ import annotations

KECAMATAN: tuple[str, ...] = (
    "Mariso",
    "Mamajang",
    "Tamalate",
    "Rappocini",
    "Makassar",
    "Ujung Pandang",
    "Wajo",
    "Bontoala",
    "Ujung Tanah",
    "Kepulauan Sangkarrang",
    "Tallo",
    "Panakkukang",
    "Manggala",
    "Biringkanaya",
    "Tamalanrea",
)

# Work segments decide which PP 50/2025 discount window applies (`driver` is the
# transport-sector window), so the list is closed; `other` keeps it total.
SEGMENTS: tuple[str, ...] = (
    "market_trader",  # pedagang pasar
    "daily_worker",  # pekerja harian lepas
    "micro_business",  # pelaku usaha mikro
    "driver",  # transport: ojek (online or pangkalan), sopir, kurir
    "fisher",  # nelayan
    "other",
)

_KECAMATAN_BY_KEY = {" ".join(name.split()).casefold(): name for name in KECAMATAN}


def canonical_kecamatan(name: object) -> str | None:
    """The official spelling of a kecamatan, or None when it is not one of Makassar's.

    Officers and the city's spreadsheets write "tamalate" or "UJUNG  PANDANG";
    case and spacing are not worth refusing a registration over, spelling is.
    """
    if not isinstance(name, str):
        return None
    return _KECAMATAN_BY_KEY.get(" ".join(name.split()).casefold())


def is_segment(segment: object) -> bool:
    return isinstance(segment, str) and segment in SEGMENTS

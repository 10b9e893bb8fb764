"""Personal data helpers: a full NIK is never logged or shown in a message."""


def mask_nik(nik: str) -> str:
    """Keeps the region code (first 6) and the last 2 digits: enough for an officer to
    tell two records apart, not enough to identify the person."""
    if len(nik) < 8:
        return "*" * len(nik)
    return nik[:6] + "*" * (len(nik) - 8) + nik[-2:]

"""Rupiah as Indonesian readers write it: `Rp 42.000.000` (dots group thousands, no
decimals). Presentation only, used by every service; the rules themselves stay in each
service's domain."""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """`format_rupiah(42_000_000) == "Rp 42.000.000"`, `format_rupiah(-8_400) == "-Rp 8.400"`.
    Money is whole rupiah, so a float (or a bool, an int in Python) is refused."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be whole rupiah (int), got {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp " + f"{abs(amount):,}".replace(",", ".")

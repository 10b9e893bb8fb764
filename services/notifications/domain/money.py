"""Rupiah as a family reads it: `Rp 42.000.000`.

Indonesian writing groups thousands with a dot and uses no decimals for rupiah.
"""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """`format_rupiah(42_000_000) == "Rp 42.000.000"`. Money is whole rupiah, so a float
    (or a bool, which is an int in Python) is refused, and so is a negative amount: no
    message to a family ever shows money owed."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be whole rupiah (int), got {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    return "Rp " + f"{amount:,}".replace(",", ".")

"""Rupiah as a family reads it: `Rp 42.000.000` (shared.money writes it for every service).

A family's message never shows money owed, so a negative amount is refused here
before it reaches the shared formatter.
"""

from __future__ import annotations

from shared.money import format_rupiah as _format_rupiah


def format_rupiah(amount: int) -> str:
    """`format_rupiah(42_000_000) == "Rp 42.000.000"`. Whole rupiah only (shared.money
    refuses floats and bools), and never negative."""
    if isinstance(amount, int) and not isinstance(amount, bool) and amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    return _format_rupiah(amount)

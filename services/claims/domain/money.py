"""Rupiah as an officer reads it in a reason's message: `Rp 42.000.000`.

Notifications has the same formatter for families; services share only event
contracts, so the few lines are repeated rather than imported across services.
"""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp " + f"{abs(amount):,}".replace(",", ".")

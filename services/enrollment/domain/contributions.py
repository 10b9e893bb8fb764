"""BPU contributions: what a month costs, and whether a recorded payment is right.

Figures that are only *reported* (JKK 1 %, JKM Rp 6,800, JHT 2 %, the declared-income
range, the grace months) come from services/reported_rules.py and nowhere else.
The temporary discount is regulation (PP 50/2025) and lives here, in one dated table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from services.enrollment.domain.coverage import protected_until
from services.enrollment.domain.period import Period
from services.enrollment.domain.places import SEGMENTS
from services.reported_rules import reported
from shared.errors import Conflict, FieldError, RuleViolation
from shared.money import format_rupiah

PROGRAMS: tuple[str, ...] = ("JKK", "JKM", "JHT")
# JKK and JKM are the BPU package (PP 44/2015); JHT is optional for BPU.
REQUIRED_PROGRAMS: frozenset[str] = frozenset({"JKK", "JKM"})
# "self": the worker pays; "city": Makassar's APBD pays (its JKK+JKM programme for
# vulnerable workers, "Makassar Berjasa").
PAYERS: tuple[str, ...] = ("self", "city")

# How far ahead a month may be paid. BPJS lets BPU participants pay 1, 3, 6 or 12
# months at once (JMO); a 12-month package bought near the end of a month starts the
# next month, so up to 12 months after the month of payment is accepted. Jaring's
# bound, not a regulation's: anything further is far more likely a typing mistake.
MAX_MONTHS_PAID_AHEAD = 12
# One payment may cover its month and, as credit, as many months again as can be paid
# ahead; more is far more likely a typing mistake (an extra zero) than a payment.
MAX_MONTHS_IN_ONE_PAYMENT = MAX_MONTHS_PAID_AHEAD + 1


@dataclass(frozen=True)
class DiscountWindow:
    """A temporary reduction of JKK+JKM for some segments, by contribution month."""

    segments: frozenset[str]
    first: Period
    last: Period
    percent: int
    source: str

    def applies(self, segment: str, period: Period) -> bool:
        return segment in self.segments and self.first <= period <= self.last


# PP 50/2025 (Penyesuaian Iuran JKK dan JKM bagi Peserta Bukan Penerima Upah,
# promulgated 22 December 2025): art. 4 sets BPU JKK+JKM at 50 % of what would
# otherwise be owed; the PP excludes participants whose JKK+JKM the APBN or an APBD
# pays (see contribution_due). JHT is not touched. Windows are by contribution month,
# so they switch off by themselves. The transport window (January 2026 - March 2027,
# "15 months") is as Kemnaker and BPJS announced it on 13 January 2026. The window
# for every other BPU segment (April - December 2026) is as the product brief states
# it; no public source read so far confirms it: check the PP's text and correct here.
DISCOUNT_WINDOWS: tuple[DiscountWindow, ...] = (
    DiscountWindow(
        frozenset({"driver"}),
        Period(2026, 1),
        Period(2027, 3),
        50,
        "PP 50/2025 art. 4: transport-sector BPU (ojek, sopir, kurir)",
    ),
    DiscountWindow(
        frozenset(SEGMENTS) - {"driver"},
        Period(2026, 4),
        Period(2026, 12),
        50,
        "PP 50/2025 art. 4: other BPU",
    ),
)


@dataclass(frozen=True)
class ContributionDue:
    """One month's contribution in whole rupiah; total = jkk + jkm + jht - discount."""

    jkk: int
    jkm: int
    jht: int
    discount: int
    total: int


def contribution_due(
    monthly_income: int,
    programs: Collection[str],
    segment: str,
    payer: str,
    period: Period,
) -> ContributionDue:
    """What one month costs; raises RuleViolation naming every input that is wrong."""
    errors = contribution_input_errors(monthly_income, programs, segment, payer)
    if errors:
        raise RuleViolation(errors)

    jkk = _permille_half_up(monthly_income, reported("jkk_contribution_permille_of_income"))
    jkm = reported("jkm_contribution_rupiah")
    jht = _permille_half_up(monthly_income, reported("jht_contribution_permille_of_income")) if "JHT" in programs else 0
    discount = 0
    window = _discount_window(segment, period)
    # PP 50/2025: no discount when the state (APBN) or regional (APBD) budget pays.
    if window is not None and payer != "city":
        before = jkk + jkm
        # The regulation does not say how to round; the discounted amount (what is
        # still owed) is rounded half up to whole rupiah, so an odd JKK+JKM leaves the
        # extra half rupiah with the payer and BPJS never gets less than the 50 %.
        after = (before * (100 - window.percent) * 2 + 100) // 200
        discount = before - after
    return ContributionDue(jkk, jkm, jht, discount, jkk + jkm + jht - discount)


def contribution_input_errors(
    monthly_income: object,
    programs: object,
    segment: object,
    payer: object,
) -> list[FieldError]:
    """Field errors of the inputs to contribution_due (registration reuses the
    income and programme checks)."""
    errors = income_errors(monthly_income) + programs_errors(programs)
    if segment not in SEGMENTS:
        errors.append(
            FieldError(
                ("segment",),
                "segment_unknown",
                f"segment_unknown: segment must be one of {', '.join(SEGMENTS)}",
            )
        )
    if payer not in PAYERS:
        errors.append(
            FieldError(
                ("payer",),
                "payer_unknown",
                "payer_unknown: payer must be 'self' (the worker) or 'city' (Makassar's budget)",
            )
        )
    return errors


def income_errors(monthly_income: object, loc: tuple[str | int, ...] = ("monthly_income",)) -> list[FieldError]:
    low = reported("declared_income_min_rupiah")
    high = reported("declared_income_max_rupiah")
    if isinstance(monthly_income, bool) or not isinstance(monthly_income, int):
        return [FieldError(loc, "income_format", "income_format: declared monthly income is a whole number of rupiah")]
    if not low <= monthly_income <= high:
        return [
            FieldError(
                loc,
                "income_out_of_range",
                f"income_out_of_range: declared monthly income must be from {format_rupiah(low)} "
                f"to {format_rupiah(high)} (the BPU income brackets)",
            )
        ]
    return []


def programs_errors(programs: object, loc: tuple[str | int, ...] = ("programs",)) -> list[FieldError]:
    if isinstance(programs, str) or not isinstance(programs, Collection):
        return [FieldError(loc, "programs_format", 'programs_format: programs is a list such as ["JKK", "JKM"]')]
    errors = []
    unknown = sorted(str(p) for p in programs if p not in PROGRAMS)
    if unknown:
        errors.append(
            FieldError(
                loc,
                "program_unknown",
                f"program_unknown: only JKK, JKM and JHT can be enrolled; not {', '.join(unknown)}",
            )
        )
    if not {p for p in programs if isinstance(p, str)} >= REQUIRED_PROGRAMS:
        errors.append(
            FieldError(
                loc,
                "programs_jkk_jkm_required",
                "programs_jkk_jkm_required: a BPU participant is enrolled in both JKK and JKM; JHT may be added",
            )
        )
    return errors


def check_payment(
    *,
    period: Period,
    amount: int,
    payer: str,
    paid_at: date,
    today: date,
    member_since: date,
    monthly_income: int,
    programs: Collection[str],
    segment: str,
    already_paid: Mapping[Period, str] | None = None,
    deceased_on: date | None = None,
) -> ContributionDue:
    """Validates one recorded contribution; returns what the month owes.

    `monthly_income` is the declared income in effect in `period` (income.income_in).
    The amount need not be exact (balances.py): less is a partial payment, more is
    credit for the next month. `already_paid` maps each complete month to the payment
    that completed it (or carried credit into it). Another payment for a complete month
    raises Conflict before anything else is checked: the usual cause is the same receipt
    entered twice, and "already paid" is the answer that helps the officer. Every other
    broken rule is collected into one RuleViolation.
    """
    if already_paid and period in already_paid:
        raise Conflict(
            f"contribution_period_already_paid: {period} is already paid in full "
            f"(by its own payments or by credit carried from the month before)",
            existing_id=already_paid[period],
            rule="contribution_period_already_paid",
        )

    errors: list[FieldError] = []
    if paid_at > today:
        errors.append(
            FieldError(
                ("paid_at",),
                "paid_at_in_future",
                "paid_at_in_future: a payment is recorded once the money has arrived; paid_at cannot be after today",
            )
        )
    first_month = Period.of(member_since)
    if period < first_month:
        errors.append(
            FieldError(
                ("period",),
                "period_before_membership",
                f"period_before_membership: the participant is a member since {first_month}; {period} is before that",
            )
        )
    furthest = Period.of(paid_at) + MAX_MONTHS_PAID_AHEAD
    if period > furthest:
        errors.append(
            FieldError(
                ("period",),
                "period_too_far_ahead",
                f"period_too_far_ahead: months can be paid at most {MAX_MONTHS_PAID_AHEAD} ahead "
                f"of the month of payment, so no later than {furthest}",
            )
        )
    # No late fine for BPU, but after 3 consecutive unpaid months membership is
    # inactive [reported: BPJS FAQ, `grace_months_after_last_paid`]: month P protects
    # through the end of P+2 at most. Money arriving after that would buy protection
    # for days already past, so it is refused rather than covering them retroactively.
    if paid_at > protected_until(period):
        errors.append(
            FieldError(
                ("period",),
                "period_lapsed",
                f"period_lapsed: the grace for {period} ended on {protected_until(period).isoformat()}, "
                f"so that month lapsed and cannot be paid now; a lapsed worker starts again "
                f"from the current month ({Period.of(paid_at)})",
            )
        )

    input_errors = contribution_input_errors(monthly_income, programs, segment, payer)
    errors.extend(input_errors)
    due = None if input_errors else contribution_due(monthly_income, programs, segment, payer, period)
    # A death ends membership (DeathConfirmed): there is nothing to protect after it.
    if deceased_on is not None and period > Period.of(deceased_on):
        errors.append(
            FieldError(
                ("period",),
                "period_after_death",
                f"period_after_death: the participant died on {deceased_on.isoformat()}; no contribution is "
                f"accepted for a month after {Period.of(deceased_on)}",
            )
        )
    # Money is integer rupiah: 8400.0 is a float that slipped through, not a rupiah sum.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        errors.append(
            FieldError(
                ("amount",),
                "amount_format",
                "amount_format: the amount is the whole number of rupiah received, at least Rp 1",
            )
        )
    elif due is not None and amount > due.total * MAX_MONTHS_IN_ONE_PAYMENT:
        errors.append(
            FieldError(
                ("amount",),
                "amount_too_large",
                f"amount_too_large: {period} owes {format_rupiah(due.total)}; one payment may carry credit for "
                f"at most {MAX_MONTHS_PAID_AHEAD} more months, so at most "
                f"{format_rupiah(due.total * MAX_MONTHS_IN_ONE_PAYMENT)}",
            )
        )
    if errors:
        raise RuleViolation(errors)
    assert due is not None
    return due


def _discount_window(segment: str, period: Period) -> DiscountWindow | None:
    return next((w for w in DISCOUNT_WINDOWS if w.applies(segment, period)), None)


def _permille_half_up(amount: int, permille: int) -> int:
    # Integer arithmetic, rounded half up to whole rupiah: money is never a float.
    return (amount * permille * 2 + 1000) // 2000

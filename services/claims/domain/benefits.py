"""What a claim pays, in whole rupiah (PP 44/2015 art. 25 and 34 as amended by PP 82/2019).

Figures read in the regulation live here beside their article; figures only reported
(the JKK death multiple, the JKM short-membership amounts and window) come from
services/reported_rules.py. Arithmetic is integers only; where a division leaves a
fraction, it is rounded once, at the end, half up to the whole rupiah.

Eligibility (coverage, programme, documents) is verification's business: this module
answers "how much, if the claim is paid".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.claims.domain.claim import ClaimFiling, ClaimType
from services.claims.domain.dates import add_months
from services.claims.domain.participant import ParticipantView
from services.claims.domain.scholarship import (
    JKM_MIN_PAID_MONTHS,
    MAX_CHILDREN,
    PER_CHILD_CEILING,
    scholarship_children,
)
from services.reported_rules import reported
from shared.contracts.vocabulary import PayoutComponentName, PayoutKind

BenefitKind = PayoutKind

# JKM, PP 44/2015 art. 34(1) as amended by PP 82/2019.
JKM_LUMP_SUM = 20_000_000  # santunan sekaligus
PERIODIC_BENEFIT = 12_000_000  # santunan berkala: 24 months' worth, paid at once (JKM and JKK death)
FUNERAL = 10_000_000  # biaya pemakaman (JKM and JKK death)

# JKK, PP 44/2015 art. 25 as amended by PP 82/2019.
STMB_FULL_PAY_DAYS = 360  # 100 % of income for the first 12 months, 50 % after
DAYS_PER_MONTH = 30
DISABILITY_INCOME_MULTIPLE = 80  # permanent disability: percent x 80 x monthly income
TOTAL_DISABILITY_PERCENT = 70  # total permanent disability: 70 % x 80 = 56 x income


@dataclass(frozen=True)
class BenefitComponent:
    component: PayoutComponentName
    amount: int  # rupiah; for an entitlement, the most it can come to
    kind: BenefitKind
    note: str
    heir_id: str | None = None  # the child an entitlement is for; cash is split by payees


def cash_total(components: Sequence[BenefitComponent]) -> int:
    return sum(c.amount for c in components if c.kind == "cash")


def is_short_membership(member_since: date, death_date: date) -> bool:
    """A JKM death before `jkm_short_membership_months` months of membership [reported:
    BPJS branch heads citing Peraturan BPJS Ketenagakerjaan 5/2021]. Months are calendar
    months: a member since 31 January reaches 3 months on 30 April (dates.add_months)."""
    return death_date < add_months(member_since, reported("jkm_short_membership_months"))


def compute_benefits(
    claim_type: ClaimType | str,
    participant: ParticipantView,
    incident_date: date,
    filing: ClaimFiling | None,
) -> list[BenefitComponent]:
    """Cash components first, in payment order, then entitlements. `filing` carries the
    JKK accident's incapacity days, disability percentage and transport costs.

    Facts as they were on the incident date: the income in effect in the month of the
    accident, the months paid up to the death, the children's ages on that day."""
    claim_type = ClaimType(claim_type)
    if claim_type is ClaimType.JKM:
        return _jkm(participant, incident_date)
    transport = transport_component(filing.transport_costs) if filing is not None else []
    if claim_type is ClaimType.JKK_DEATH:
        return _jkk_death(participant, incident_date, transport)
    if filing is None:
        raise ValueError("a JKK accident's benefits need its filing (incapacity days, disability)")
    return _jkk_accident(participant, filing, transport)


def transport_pay(costs: Mapping[str, int]) -> int:
    """Transport to hospital: each mode's cost up to its cap, added together when several
    modes were used (caps [reported], services/reported_rules.py)."""
    return sum(min(amount, reported(f"jkk_transport_{mode}_cap_rupiah")) for mode, amount in costs.items())


def transport_component(costs: Mapping[str, int]) -> list[BenefitComponent]:
    amount = transport_pay(costs)
    if amount <= 0:
        return []
    spent = ", ".join(f"{mode} {cost}" for mode, cost in sorted(costs.items()))
    return [BenefitComponent("transport", amount, "cash", f"transport to hospital ({spent}), each mode up to its cap")]


def _jkm(participant: ParticipantView, death_date: date) -> list[BenefitComponent]:
    if is_short_membership(participant.member_since, death_date):
        # Rp 10,000,000 in all and nothing else: no periodic benefit, no scholarship
        # (which needs 36 paid months anyway).
        months = reported("jkm_short_membership_months")
        why = f"death within {months} months of membership (since {participant.member_since.isoformat()})"
        return [
            BenefitComponent(
                "death_benefit",
                reported("jkm_short_membership_death_benefit_rupiah"),
                "cash",
                f"short membership: {why}",
            ),
            BenefitComponent(
                "funeral", reported("jkm_short_membership_funeral_rupiah"), "cash", f"short membership: {why}"
            ),
        ]
    components = [
        BenefitComponent("lump_sum", JKM_LUMP_SUM, "cash", "santunan sekaligus, PP 82/2019"),
        BenefitComponent(
            "periodic_benefit", PERIODIC_BENEFIT, "cash", "santunan berkala, 24 months' worth paid at once, PP 82/2019"
        ),
        BenefitComponent("funeral", FUNERAL, "cash", "biaya pemakaman, PP 82/2019"),
    ]
    # Months paid up to the death only: months paid after it, or ahead past it, do not count.
    paid = participant.paid_months_through(death_date)
    if paid >= JKM_MIN_PAID_MONTHS:
        components += _scholarships(participant, death_date, f"JKM with {paid} paid months up to the death (>= 36)")
    return components


def _jkk_death(
    participant: ParticipantView, accident_date: date, transport: list[BenefitComponent]
) -> list[BenefitComponent]:
    multiple = reported("jkk_death_income_multiple")
    income = participant.income_in_month_of(accident_date)
    # No short-membership limit on a work death: JKK pays from the first protected day.
    return [
        BenefitComponent(
            "death_benefit",
            multiple * income,
            "cash",
            f"santunan kematian {multiple} x declared monthly income "
            f"{income} in the month of the accident (60 % x 80 x income)",
        ),
        BenefitComponent("funeral", FUNERAL, "cash", "biaya pemakaman, PP 82/2019"),
        BenefitComponent(
            "periodic_benefit", PERIODIC_BENEFIT, "cash", "santunan berkala, 24 months' worth paid at once, PP 82/2019"
        ),
        *transport,
        *_scholarships(participant, accident_date, "death from a work accident, no minimum contribution period"),
    ]


def _jkk_accident(
    participant: ParticipantView, filing: ClaimFiling, transport: list[BenefitComponent]
) -> list[BenefitComponent]:
    """Cash parts only. Medical care at partner facilities has no ceiling and is paid to
    the facility, never to the family, so it is no component of the payout at all (it
    would make the cash total and the NPWP threshold wrong)."""
    income = participant.income_in_month_of(filing.incident_date)
    components: list[BenefitComponent] = list(transport)
    days = filing.incapacity_days or 0
    if days > 0:
        components.append(
            BenefitComponent(
                "temporary_incapacity",
                temporary_incapacity_pay(income, days),
                "cash",
                f"STMB for {days} days: 100 % of income for the first {STMB_FULL_PAY_DAYS} days, 50 % after, "
                f"per day on a {DAYS_PER_MONTH}-day month",
            )
        )
    percent = filing.disability_percent or 0
    if percent > 0:
        amount, note = permanent_disability_pay(income, percent)
        components.append(BenefitComponent("permanent_disability", amount, "cash", note))
    if percent == 100:
        components += _scholarships(
            participant, filing.incident_date, "total permanent disability from a work accident"
        )
    return components


def temporary_incapacity_pay(monthly_income: int, incapacity_days: int) -> int:
    """STMB (santunan sementara tidak mampu bekerja): 100 % of the declared monthly
    income for the first 12 months, 50 % after, until the worker recovers.

    Only days are known, so a month is 30 days (a day's pay is income / 30) and the first
    12 months are the first 360 days: the usual payroll convention, and it makes a day
    worth the same in February as in March. One rounding, half up, at the end:
        income x (full_days / 30 + half_days / 60) = income x (2 x full_days + half_days) / 60
    e.g. income 3,000,000 for 400 days: 3,000,000 x (720 + 40) / 60 = 38,000,000.
    """
    full_days = min(incapacity_days, STMB_FULL_PAY_DAYS)
    half_days = max(incapacity_days - STMB_FULL_PAY_DAYS, 0)
    return _round_half_up(monthly_income * (2 * full_days + half_days), 2 * DAYS_PER_MONTH)


def permanent_disability_pay(monthly_income: int, disability_percent: int) -> tuple[int, str]:
    """Permanent disability: total (100 %) is 70 % x 80 x income = 56 x income; partial is
    the table percentage x 80 x income, rounded half up to the rupiah.

    The percentage table of PP 44/2015's annex is not in this repository: the officer
    supplies the percentage the doctor's report gives. The table's partial percentages
    stay below the 70 % that total disability pays, so a partial percentage above 70
    would pay more than total disability; it is capped at the total and said so in
    the note for the officer to check.
    """
    total = TOTAL_DISABILITY_PERCENT * DISABILITY_INCOME_MULTIPLE * monthly_income // 100
    if disability_percent >= 100:
        return total, f"total permanent disability: 70 % x 80 x income {monthly_income}"
    partial = _round_half_up(disability_percent * DISABILITY_INCOME_MULTIPLE * monthly_income, 100)
    if partial > total:
        return total, (
            f"partial disability {disability_percent} % capped at total disability "
            f"(70 % x 80 x income): check the percentage"
        )
    return partial, f"partial disability {disability_percent} % x 80 x income {monthly_income}"


def _scholarships(participant: ParticipantView, incident_date: date, why: str) -> list[BenefitComponent]:
    """One entitlement per child (at most 2), each at the per-child ceiling: each child's
    right ends on its own (age 23, marriage, work), so it is kept per child. A child
    already 23 on the day of the incident has no right to start with."""
    children = participant.children
    chosen = scholarship_children(children, incident_date)
    extra = (
        f"; {len(children)} children recorded, the scholarship is for at most {MAX_CHILDREN}"
        if len(children) > MAX_CHILDREN
        else ""
    )
    return [
        BenefitComponent(
            "scholarship",
            PER_CHILD_CEILING,
            "entitlement",
            f"beasiswa for {child.full_name}: paid year by year by school level, up to "
            f"{PER_CHILD_CEILING}; ends at age 23, marriage or work ({why}){extra}",
            heir_id=child.heir_id,
        )
        for child in chosen
    ]


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)

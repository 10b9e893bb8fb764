"""Rules Jaring applies that are *reported* (by BPJS officials, FAQs or the press)
but not yet read in a regulation's text.

They live in this one table so that when someone reads the regulation and finds a
different figure, the correction is made here and nowhere else. Rules that *were*
read in the regulation's text live in the service's domain module beside the
article they come from. See ../shared/PRODUCT.md for the sources.

This is domain data used by the enrollment and claims domains; it is not plumbing,
so it does not live in shared/.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportedRule:
    value: int
    unit: str
    source: str


REPORTED_RULES: dict[str, ReportedRule] = {
    # Contributions (BPU, per month)
    "jkk_contribution_permille_of_income": ReportedRule(
        10,
        "per mille of declared monthly income",
        "BPJS Ketenagakerjaan BPU tariff, consistent across sources; bracket rows of "
        "Lampiran II PP 44/2015 (as amended by PP 49/2023) not read, so 1 % of the "
        "declared income rounded to whole rupiah is used",
    ),
    "jkm_contribution_rupiah": ReportedRule(
        6_800,
        "rupiah per month",
        "reported as PP 44/2015's BPU JKM flat contribution",
    ),
    "jht_contribution_permille_of_income": ReportedRule(
        20,
        "per mille of declared monthly income",
        "BPJS BPU JHT tariff (2 %)",
    ),
    "declared_income_min_rupiah": ReportedRule(
        1_000_000,
        "rupiah",
        "lowest BPU declared income (JKK Rp 10,000)",
    ),
    "declared_income_max_rupiah": ReportedRule(
        20_700_000,
        "rupiah",
        "highest BPU declared income (JKK Rp 207,000)",
    ),
    "bpu_max_age_at_membership": ReportedRule(
        65,
        "years of age on the membership start date",
        "commonly reported upper age for BPU enrolment; not found in a regulation's text yet",
    ),
    # Coverage and arrears
    "grace_months_after_last_paid": ReportedRule(
        2,
        "months still protected after the last paid month",
        "BPJS FAQ: inactive after 3 consecutive unpaid months; Jaring reads this as "
        "active through M, grace M+1..M+2, lapsed from M+3",
    ),
    # JKM short membership
    "jkm_short_membership_months": ReportedRule(
        3,
        "months of membership",
        "BPJS branch heads citing Peraturan BPJS Ketenagakerjaan 5/2021",
    ),
    "jkm_short_membership_death_benefit_rupiah": ReportedRule(
        8_000_000,
        "rupiah",
        "BPJS branch heads citing Peraturan BPJS Ketenagakerjaan 5/2021",
    ),
    "jkm_short_membership_funeral_rupiah": ReportedRule(
        2_000_000,
        "rupiah",
        "BPJS branch heads citing Peraturan BPJS Ketenagakerjaan 5/2021",
    ),
    # JKK transport to hospital, per mode; a transport using several modes is paid each
    # mode's cost up to its cap, added together.
    "jkk_transport_land_cap_rupiah": ReportedRule(
        1_000_000,
        "rupiah, by land, river or lake",
        "product brief, recalled as Lampiran III of PP 44/2015; the text of PP 82/2019 was "
        "searched (ortax copy of PP 82/2019) and its amended amounts, if any, not found",
    ),
    "jkk_transport_sea_cap_rupiah": ReportedRule(
        1_500_000,
        "rupiah, by sea",
        "as jkk_transport_land_cap_rupiah",
    ),
    "jkk_transport_air_cap_rupiah": ReportedRule(
        2_500_000,
        "rupiah, by air",
        "as jkk_transport_land_cap_rupiah",
    ),
    # JKK death
    "jkk_death_income_multiple": ReportedRule(
        48,
        "times declared monthly income",
        "reported as 60 % x 80 x income, consistent",
    ),
}


def reported(name: str) -> int:
    """The value of one reported rule; a KeyError names a rule that is not in the table."""
    return REPORTED_RULES[name].value

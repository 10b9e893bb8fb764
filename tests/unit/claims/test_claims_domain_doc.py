"""docs/domain.md: every case of issue 12 with its rule and source, the inputs, and the
rupiah paid to whom. The rows are data here; each row's figures are worked out by hand
(the expression of literals beside it) and checked against the domain functions, and the
markdown is rendered from the rows. The test fails when docs/domain.md differs:
regenerate it with `.venv/bin/python tests/unit/claims/test_claims_domain_doc.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from claims_builders import TODAY, WIDOW, claim, participant

from services.claims.domain.claim import ClaimType, Guardian
from services.claims.domain.participant import HeirView
from services.claims.domain.payout import PayoutLine, payout_lines
from services.claims.domain.reclassification import reclassification_difference
from services.claims.domain.sla import deadline, late_charge_lines
from shared.money import format_rupiah

DOC = Path(__file__).resolve().parents[3] / "docs" / "domain.md"

MOTHER = HeirView("h-mother", "Hj. Becce (no phone, no email)", "parent", 2)
SON = HeirView("h-son", "Andi (10)", "child", 1, birth_date=date(2016, 3, 1))
DAUGHTER_23 = HeirView("h-daughter", "Nur (23 on the day)", "child", 1, birth_date=date(2003, 7, 10))
WALI = {"h-son": Guardian("Sitti Rahmawati", "ibu")}
WIDOW_ONLY = participant(heirs=[WIDOW], paid_months=12)


def months(first: tuple[int, int], count: int) -> list[str]:
    year, month = first
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    inputs: str
    lines: Callable[[], list[PayoutLine]]
    # payee as shown -> (cash rupiah, entitlement rupiah), worked out by hand
    paid: dict[str, tuple[int, int]]


def _reclassified() -> list[PayoutLine]:
    paid = payout_lines(claim(ClaimType.JKM), WIDOW_ONLY, TODAY)
    due = payout_lines(claim(ClaimType.JKK_DEATH), WIDOW_ONLY, TODAY)
    return reclassification_difference(paid, due, "JKM", "JKK_DEATH")[0]


def _late() -> list[PayoutLine]:
    paid = payout_lines(claim(ClaimType.JKM), WIDOW_ONLY, TODAY)
    return late_charge_lines(paid, date(2026, 7, 15), date(2026, 7, 20))


CASES: tuple[Case, ...] = (
    Case(
        "JKM, heir without phone or email",
        "PP 82/2019 (JKM 20M + 12M + 10M); PP 44/2015 art. 40(2) (heirs' ranks); a contact is not needed",
        "death not from work; member 3.5 years; the mother is the only heir, no contact",
        lambda: payout_lines(claim(ClaimType.JKM), participant(heirs=[MOTHER], paid_months=12), TODAY),
        {"Hj. Becce (no phone, no email)": (20_000_000 + 12_000_000 + 10_000_000, 0)},
    ),
    Case(
        "JKM, short membership",
        "[reported] Peraturan BPJS Ketenagakerjaan 5/2021: death within 3 months of membership",
        "member since 1 May 2026, died 10 July 2026; widow",
        lambda: payout_lines(claim(ClaimType.JKM), participant(member_since=date(2026, 5, 1), heirs=[WIDOW]), TODAY),
        {"Sitti Rahmawati": (8_000_000 + 2_000_000, 0)},
    ),
    Case(
        "JKM, no heir at all",
        "PP 44/2015 art. 40(2)b.5: the funeral cost to whoever handled the burial, the rest not paid out",
        "no heir recorded (an officer cannot approve it; shown for the rule)",
        lambda: payout_lines(claim(ClaimType.JKM), participant(heirs=[]), TODAY),
        {"whoever handled the burial": (10_000_000, 0)},
    ),
    Case(
        "JKK death, widow and a minor son through his wali",
        "[reported] 48 x income; PP 82/2019 funeral, periodic benefit, scholarship; art. 37(5) equal shares; "
        "a minor (under 18, UU 23/2002) is paid through a wali",
        "income Rp 3.000.000; widow and son aged 10, wali his mother",
        lambda: payout_lines(
            replace(claim(ClaimType.JKK_DEATH), guardians=WALI), participant(heirs=[WIDOW, SON]), TODAY
        ),
        {
            "Andi (10) through wali Sitti Rahmawati": (
                (48 * 3_000_000 + 10_000_000 + 12_000_000) // 2,
                2 * 1_500_000 + 6 * 1_500_000 + 3 * 2_000_000 + 3 * 3_000_000 + 5 * 12_000_000,
            ),
            "Sitti Rahmawati": ((48 * 3_000_000 + 10_000_000 + 12_000_000) // 2, 0),
        },
    ),
    Case(
        "JKK death, income raised after the accident",
        "the income in effect in the month of the accident (issue 12); [reported] 48 x income",
        "accident 10 July 2026; Rp 3.000.000 declared, Rp 5.000.000 from August 2026",
        lambda: payout_lines(
            claim(ClaimType.JKK_DEATH),
            participant(
                heirs=[MOTHER],
                monthly_income=5_000_000,
                income_history=[(date(2023, 1, 1), 3_000_000), (date(2026, 8, 1), 5_000_000)],
            ),
            TODAY,
        ),
        {"Hj. Becce (no phone, no email)": (48 * 3_000_000 + 10_000_000 + 12_000_000, 0)},
    ),
    Case(
        "JKM scholarship, months paid ahead past the death",
        "PP 82/2019: scholarship after 36 months of contributions, counted up to the death",
        "paid Sept 2023 to Sept 2026 (37 months), died July 2026: 35 months count",
        lambda: payout_lines(
            claim(ClaimType.JKM), participant(heirs=[WIDOW], paid_months=37, paid_periods=months((2023, 9), 37)), TODAY
        ),
        {"Sitti Rahmawati": (20_000_000 + 12_000_000 + 10_000_000, 0)},
    ),
    Case(
        "JKK death, a child aged 23 on the day",
        "the scholarship ends at age 23 [reported: product brief]",
        "income Rp 3.000.000; widow and a daughter who is 23 on the day of the accident",
        lambda: payout_lines(claim(ClaimType.JKK_DEATH), participant(heirs=[WIDOW, DAUGHTER_23]), TODAY),
        {
            "Nur (23 on the day)": ((48 * 3_000_000 + 10_000_000 + 12_000_000) // 2, 0),
            "Sitti Rahmawati": ((48 * 3_000_000 + 10_000_000 + 12_000_000) // 2, 0),
        },
    ),
    Case(
        "JKK accident, transport to hospital",
        "[reported] caps land/river/lake Rp 1.000.000, sea Rp 1.500.000, air Rp 2.500.000 (Lampiran III PP 44/2015)",
        "land Rp 1.200.000, sea Rp 900.000, air Rp 3.000.000",
        lambda: payout_lines(
            claim(ClaimType.JKK, transport_costs={"land": 1_200_000, "sea": 900_000, "air": 3_000_000}),
            participant(full_name="Baso (the worker)"),
            TODAY,
        ),
        {"Baso (the worker)": (1_000_000 + 900_000 + 2_500_000, 0)},
    ),
    Case(
        "JKK accident, 400 days unable to work",
        "PP 82/2019: STMB 100 % of income for 12 months, 50 % after",
        "income Rp 3.000.000; 400 days",
        lambda: payout_lines(
            claim(ClaimType.JKK, incapacity_days=400), participant(full_name="Baso (the worker)"), TODAY
        ),
        {"Baso (the worker)": (3_000_000 * 12 + 3_000_000 * 40 // 60, 0)},
    ),
    Case(
        "JKM reclassified as JKK death after payout",
        "a supervisor's reclassification with a reason; only the difference is paid",
        "income Rp 3.000.000; widow; Rp 42.000.000 paid as JKM",
        _reclassified,
        {"Sitti Rahmawati": ((48 * 3_000_000 + 10_000_000 + 12_000_000) - (20_000_000 + 12_000_000 + 10_000_000), 0)},
    ),
    Case(
        "JKM paid 5 days after the deadline",
        "PP 44/2015 art. 40(4): 1 % of the benefit per day late",
        "deadline 15 July 2026, paid 20 July 2026; widow paid Rp 42.000.000",
        _late,
        {"Sitti Rahmawati": (42_000_000 * 5 // 100, 0)},
    ),
)


def payee(line: PayoutLine) -> str:
    name = line.payee_name or "whoever handled the burial"
    return f"{name} through wali {line.guardian_name}" if line.guardian_name else name


def totals(lines: list[PayoutLine]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for line in lines:
        cash, entitled = out.get(payee(line), (0, 0))
        out[payee(line)] = (cash + line.amount, entitled) if line.kind == "cash" else (cash, entitled + line.amount)
    return out


def render() -> str:
    rows = []
    for case in CASES:
        paid = "; ".join(
            f"{who}: {format_rupiah(cash)}" + (f" + scholarship up to {format_rupiah(entitled)}" if entitled else "")
            for who, (cash, entitled) in sorted(case.paid.items())
        )
        rows.append(f"| {case.name} | {case.source} | {case.inputs} | {paid} |")
    due = deadline("JKK", date(2026, 12, 23))
    due_day = f"{due.strftime('%A')} {due.day} {due.strftime('%B %Y')}"
    return "\n".join(
        [
            "# Who is paid what: the cases of issue 12",
            "",
            "Generated from `tests/unit/claims/test_claims_domain_doc.py`, which checks every row against the claims",
            "domain (`services/claims/domain/payout.py` and friends); do not edit by hand. `[reported]` marks a figure",
            "not yet read in a regulation's text (`services/reported_rules.py`). Cash is paid now; a scholarship is an",
            "entitlement paid year by year, up to the amount shown.",
            "",
            "| case | rule and source | inputs | paid (rupiah, to whom) |",
            "|---|---|---|---|",
            *rows,
            "",
            "## Working days",
            "",
            "Payment deadlines count Monday to Friday except national holidays and cuti bersama of the joint decree of",
            "three ministers (SKB) of each year (`services/claims/domain/holidays.py`, 2025 and 2026 from the decrees;",
            "2027 only the days that need no decree). JKK complete on Wednesday 23 December 2026: "
            "7 working days end on",
            f"{due_day} (24 December is cuti bersama, 25 December and",
            "1 January are holidays).",
            "",
        ]
    )


def test_each_row_is_what_the_domain_pays():
    for case in CASES:
        assert totals(case.lines()) == case.paid, case.name


def test_docs_domain_md_is_current():
    assert DOC.read_text() == render(), "run .venv/bin/python tests/unit/claims/test_claims_domain_doc.py"


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC}")

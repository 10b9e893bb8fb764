"""Who is paid what: the one rule from an approved claim and its participant's facts to
the lines of the payout ledger.

    death (JKM, JKK_DEATH)  cash to the first rank of heirs present, in equal shares
                            (payees.split_benefits); a minor's share through the wali
                            named on the claim; with no heir, the funeral cost only, to
                            whoever handled the burial (PP 44/2015 art. 37(5), 40(2))
    JKK accident            cash to the worker: a living worker's benefits are the
                            worker's own, whoever is recorded as heir
    entitlements            the scholarship, to the child it names, year by year

`approval_refusals` is the same rule seen from an officer's approval: a death claim is
not approved without a payee for the death benefit, nor with a minor payee and no wali.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.claims.domain.benefits import BenefitComponent, compute_benefits
from services.claims.domain.claim import DEATH_TYPES, Claim, ClaimType
from services.claims.domain.participant import HeirView, ParticipantView
from services.claims.domain.payees import PayeeShare, payee_heirs, split_benefits
from shared.contracts.vocabulary import PayoutComponentName, PayoutKind
from shared.errors import FieldError


@dataclass(frozen=True)
class PayoutLine:
    component: PayoutComponentName
    amount: int  # rupiah; for an entitlement, the most it can come to
    kind: PayoutKind
    payee_heir_id: str | None  # None: the worker, or whoever handled the burial
    payee_name: str | None  # None: not known yet (the burial's organiser is named at disbursement)
    guardian_name: str | None  # the wali through whom a minor's share is paid
    note: str


def benefits_of(claim: Claim, participant: ParticipantView) -> list[BenefitComponent]:
    """What the claim pays, computed once, on the facts of the incident date."""
    filing = claim.filing
    return compute_benefits(filing.claim_type, participant, filing.incident_date, filing)


def payout_lines(claim: Claim, participant: ParticipantView, on: date) -> list[PayoutLine]:
    """The ledger lines of an approved claim, paid on `on` (a child's minority is judged
    on the day the money is paid). Cash lines first, then entitlements."""
    components = benefits_of(claim, participant)
    heirs = {heir.heir_id: heir for heir in participant.heirs}
    if ClaimType(claim.filing.claim_type) not in DEATH_TYPES:
        worker = participant.full_name or None
        lines = [
            PayoutLine(x.component, x.amount, "cash", None, worker, None, x.note)
            for x in components
            if x.kind == "cash"
        ]
    else:
        payees = payee_heirs(participant.heirs)
        if not payees:
            # No heir at all: the funeral cost goes to whoever handled the burial; the rest
            # is handed to the Dana Jaminan Sosial (art. 37(5)b.5, 40(2)b.5), not paid out.
            lines = [
                PayoutLine(
                    x.component, x.amount, "cash", None, None, None, x.note + "; paid to whoever handled the burial"
                )
                for x in components
                if x.component == "funeral"
            ]
        else:
            shares = [PayeeShare(h.heir_id, h.full_name, h.precedence, 0) for h in payees]
            lines = [
                _heir_line(component.component, share.amount, "cash", heirs[share.heir_id], claim, on, component.note)
                for component, split in split_benefits(components, shares)
                for share in split
            ]
    lines += [
        _heir_line(x.component, x.amount, "entitlement", heirs[x.heir_id], claim, on, x.note)
        if x.heir_id in heirs
        else PayoutLine(x.component, x.amount, "entitlement", x.heir_id, None, None, x.note)
        for x in components
        if x.kind == "entitlement"
    ]
    return lines


def _heir_line(
    component: PayoutComponentName, amount: int, kind: PayoutKind, heir: HeirView, claim: Claim, on: date, note: str
) -> PayoutLine:
    guardian = claim.guardians.get(heir.heir_id) if heir.is_minor_on(on) else None
    if guardian is not None:
        note += f"; {heir.full_name} is a minor, paid through the wali {guardian.name} ({guardian.relationship})"
    return PayoutLine(component, amount, kind, heir.heir_id, heir.full_name, guardian.name if guardian else None, note)


def cash_of(lines: list[PayoutLine]) -> int:
    return sum(line.amount for line in lines if line.kind == "cash")


def minors_without_guardian(claim: Claim, participant: ParticipantView, on: date) -> list[HeirView]:
    """Payees of a death benefit who are minors on `on` and have no wali on the claim."""
    if ClaimType(claim.filing.claim_type) not in DEATH_TYPES:
        return []
    return [
        heir for heir in payee_heirs(participant.heirs) if heir.is_minor_on(on) and heir.heir_id not in claim.guardians
    ]


def approval_refusals(claim: Claim, participant: ParticipantView | None, on: date) -> list[FieldError]:
    """Why an officer may not approve this claim for payment now; empty when they may."""
    if ClaimType(claim.filing.claim_type) not in DEATH_TYPES:
        return []
    if participant is None or not payee_heirs(participant.heirs):
        return [
            FieldError(
                ("decision",),
                "death_benefit_payee_missing",
                "death_benefit_payee_missing: a death claim is approved with a payee for the death benefit; add the "
                f"heirs named on the heir statement (POST /v1/claims/{claim.claim_id}/heirs), then approve",
            )
        ]
    return [
        FieldError(
            ("guardians", heir.heir_id),
            "guardian_missing",
            f"guardian_missing: heir {heir.heir_id} is under 18 and is paid through a wali; name one "
            f"(PUT /v1/claims/{claim.claim_id}/guardians), then approve",
        )
        for heir in minors_without_guardian(claim, participant, on)
    ]

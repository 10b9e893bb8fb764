"""Who is paid a death benefit, and how each amount is split between them.

PP 44/2015 art. 37(5) (JKK) and 40(2) (JKM): the first rank of heirs present is paid.
Enrollment ranks the heirs (HeirView.precedence); the regulation sets no proportions
within a rank, so a rank shares equally.

With no heir at all the funeral cost goes to whoever handled the burial and the rest is
handed to the Dana Jaminan Sosial (art. 37(5)b.5, 40(2)b.5): no heir is a payee then,
and verification refers the claim to an officer (NO_HEIR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.claims.domain.benefits import BenefitComponent
from services.claims.domain.participant import HeirView


@dataclass(frozen=True)
class PayeeShare:
    heir_id: str
    full_name: str
    rank: int  # the heir's precedence
    amount: int  # rupiah


def payee_heirs(heirs: Sequence[HeirView]) -> list[HeirView]:
    """The heirs of the first rank present, ordered by heir_id.

    Ordering by id, not by how the read model happens to return the heirs, makes the
    split the same on every replay of the same events.
    """
    ranked = [heir for heir in heirs if heir.precedence >= 1]
    if not ranked:
        return []
    first = min(heir.precedence for heir in ranked)
    return sorted((heir for heir in ranked if heir.precedence == first), key=lambda heir: heir.heir_id)


def choose_payees(heirs: Sequence[HeirView], total: int) -> list[PayeeShare]:
    """Each payee's share of `total`; empty when there is no heir (the caller flags it)."""
    chosen = payee_heirs(heirs)
    return split_component(total, [PayeeShare(h.heir_id, h.full_name, h.precedence, 0) for h in chosen])


def split_component(amount: int, payees: Sequence[PayeeShare], *, already_split: int = 0) -> list[PayeeShare]:
    """`amount` split equally between `payees` (as choose_payees ordered them).

    Whole rupiah: each gets amount // n and the remaining rupiah (fewer than n) go one
    each to the first payees in order. Splitting several components one by one that
    way could give one heir the odd rupiah of every component; pass the sum of the
    components already split as `already_split` and the odd rupiah rotate so that each
    heir's components add up to exactly their share of the total (split_benefits).
    """
    if amount < 0 or already_split < 0:
        raise ValueError("amounts to split are never negative")
    if not payees:
        return []
    before = _shares(already_split, len(payees))
    after = _shares(already_split + amount, len(payees))
    return [replace(payee, amount=a - b) for payee, a, b in zip(payees, after, before)]


def split_benefits(
    components: Sequence[BenefitComponent],
    payees: Sequence[PayeeShare],
) -> list[tuple[BenefitComponent, list[PayeeShare]]]:
    """Each cash component with its split. Entitlements are not split: a scholarship
    belongs to the child it names (BenefitComponent.heir_id)."""
    result: list[tuple[BenefitComponent, list[PayeeShare]]] = []
    done = 0
    for component in components:
        if component.kind != "cash":
            continue
        result.append((component, split_component(component.amount, payees, already_split=done)))
        done += component.amount
    return result


def _shares(total: int, count: int) -> list[int]:
    # Cumulative equal shares: the first (total % count) payees get one rupiah more.
    base, remainder = divmod(total, count)
    return [base + (1 if index < remainder else 0) for index in range(count)]

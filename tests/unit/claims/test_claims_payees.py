import pytest
from claims_builders import CHILD_1, CHILD_2, FATHER, MOTHER, SISTER, WIDOW

from services.claims.domain.benefits import BenefitComponent
from services.claims.domain.payees import PayeeShare, choose_payees, split_benefits, split_component


def shares(payees):
    return {p.heir_id: p.amount for p in payees}


def test_widow_and_child_share_the_jkm_benefit_equally():
    # 42,000,000 / 2 = 21,000,000 each.
    payees = choose_payees([WIDOW, CHILD_1, MOTHER], 42_000_000)
    assert shares(payees) == {"h-widow": 21_000_000, "h-child-1": 21_000_000}
    assert {p.rank for p in payees} == {1}


def test_parents_are_paid_only_when_there_is_no_spouse_or_child():
    payees = choose_payees([SISTER, MOTHER, FATHER], 42_000_000)
    assert shares(payees) == {"h-father": 21_000_000, "h-mother": 21_000_000}


def test_siblings_are_paid_when_no_closer_heir_is_left():
    [payee] = choose_payees([SISTER], 10_000_000)
    assert payee == PayeeShare("h-sister", "Rahma", 5, 10_000_000)


def test_the_odd_rupiah_go_to_the_first_heirs_by_id():
    # 10,000,000 / 3 = 3,333,333 remainder 1: the first heir by id gets 3,333,334.
    payees = choose_payees([WIDOW, CHILD_2, CHILD_1], 10_000_000)
    assert [(p.heir_id, p.amount) for p in payees] == [
        ("h-child-1", 3_333_334),
        ("h-child-2", 3_333_333),
        ("h-widow", 3_333_333),
    ]


def test_the_split_does_not_depend_on_the_order_heirs_arrive_in():
    assert choose_payees([WIDOW, CHILD_2, CHILD_1], 10_000_000) == choose_payees([CHILD_1, WIDOW, CHILD_2], 10_000_000)


def test_no_heir_means_no_payee():
    assert choose_payees([], 42_000_000) == []


def test_split_component_divides_one_amount_between_the_payees():
    payees = choose_payees([WIDOW, CHILD_1], 0)
    assert shares(split_component(10_000_000, payees)) == {"h-widow": 5_000_000, "h-child-1": 5_000_000}


def test_split_of_each_component_adds_up_to_each_heirs_share_of_the_total():
    # Three heirs, 20,000,000 + 12,000,000 + 10,000,000 = 42,000,000 = 14,000,000 each.
    # Split one by one with the odd rupiah always to the first heir, the first would get
    # 6,666,667 + 4,000,000 + 3,333,334 = 14,000,001; carrying the running total rotates them.
    heirs = [WIDOW, CHILD_1, CHILD_2]
    payees = choose_payees(heirs, 42_000_000)
    components = [
        BenefitComponent("lump_sum", 20_000_000, "cash", ""),
        BenefitComponent("periodic_benefit", 12_000_000, "cash", ""),
        BenefitComponent("funeral", 10_000_000, "cash", ""),
        BenefitComponent("scholarship", 87_000_000, "entitlement", "", heir_id="h-child-1"),
    ]
    split = split_benefits(components, payees)
    assert [c.component for c, _ in split] == ["lump_sum", "periodic_benefit", "funeral"]
    for component, parts in split:
        assert sum(p.amount for p in parts) == component.amount
    per_heir = {p.heir_id: 0 for p in payees}
    for _, parts in split:
        for p in parts:
            per_heir[p.heir_id] += p.amount
    assert per_heir == shares(payees) == {"h-child-1": 14_000_000, "h-child-2": 14_000_000, "h-widow": 14_000_000}


def test_split_with_no_payee_pays_nobody():
    assert split_component(10_000_000, []) == []


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        split_component(-1, choose_payees([WIDOW], 0))

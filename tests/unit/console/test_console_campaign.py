"""The campaign page combines enrollment's and claims' answers; it adds them up, computes nothing new."""

from __future__ import annotations

from services.console.domain.campaign import CHART_HEIGHT, charts, combined

CAMPAIGN = {
    "year": 2026,
    "as_of": "2026-11-15",
    "target": 45_000,
    "newly_covered": 5,
    "progress": 0.0001,
    "by_kecamatan_segment": [
        {"kecamatan": "Mariso", "segment": "market_trader", "newly_covered": 2},
        {"kecamatan": "Tallo", "segment": "daily_worker", "newly_covered": 2},
        {"kecamatan": "Tallo", "segment": "market_trader", "newly_covered": 1},
    ],
    "retention": {
        "3": {"cohort": 7, "still_covered": 6, "share": 0.8571},
        "6": {"cohort": 0, "still_covered": 0, "share": None},
    },
    "reminded_runs": 2,
    "lapses_prevented": 1,
}
PROACTIVE = {
    "totals": {"opened": 4, "awaiting_family": 1, "completed": 3, "paid": 2},
    "reported_deaths": {"opened": 4, "not_covered": 1},
}


def test_enrolments_are_summed_by_kecamatan_and_by_segment():
    view = combined(CAMPAIGN, PROACTIVE)
    assert view["enrolments"]["by_kecamatan"] == {"Mariso": 2, "Tallo": 2 + 1}
    assert view["enrolments"]["by_segment"] == {"market_trader": 2 + 1, "daily_worker": 2}
    assert view["proactive_claims"]["opened"] == 4 and view["proactive_claims"]["paid"] == 2
    assert (view["lapses_prevented"], view["reminded_runs"]) == (1, 2)


def test_the_charts_scale_the_largest_bar_to_the_full_height():
    drawn = charts(combined(CAMPAIGN, PROACTIVE))
    assert drawn["kecamatan"].labels == ("Mariso", "Tallo")
    mariso, tallo = drawn["kecamatan"].bars
    assert tallo.height == CHART_HEIGHT and mariso.height == round(CHART_HEIGHT * 2 / 3, 2)
    # A cohort of nobody draws an empty bar, not an error.
    assert [b.value for b in drawn["retention"].bars] == [85.71, 0.0]
    assert drawn["proactive"].labels == ("opened", "paid")

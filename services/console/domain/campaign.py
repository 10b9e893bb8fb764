"""The campaign page (issue 19): what enrollment and claims answer, combined into one view and
drawn as SVG bars on the server. Pure: handed the two services' JSON (enrollment's
GET /v1/campaign, claims' GET /v1/proactive-claims)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.console.domain.charts import Bar, bars

CHART_WIDTH = 480.0
CHART_HEIGHT = 120.0


@dataclass(frozen=True)
class Chart:
    labels: tuple[str, ...]
    bars: tuple[Bar, ...]
    width: float = CHART_WIDTH
    height: float = CHART_HEIGHT


def combined(campaign: Mapping[str, Any], proactive: Mapping[str, Any]) -> dict[str, Any]:
    """The campaign's JSON: one document a dashboard or a report can read."""
    by_kecamatan: dict[str, int] = {}
    by_segment: dict[str, int] = {}
    for row in campaign["by_kecamatan_segment"]:
        by_kecamatan[row["kecamatan"]] = by_kecamatan.get(row["kecamatan"], 0) + row["newly_covered"]
        by_segment[row["segment"]] = by_segment.get(row["segment"], 0) + row["newly_covered"]
    totals = proactive.get("totals", {})
    return {
        "year": campaign["year"],
        "as_of": campaign.get("as_of"),
        "enrolments": {
            "target": campaign["target"],
            "newly_covered": campaign["newly_covered"],
            "progress": campaign["progress"],
            "by_kecamatan": by_kecamatan,
            "by_segment": by_segment,
        },
        "retention": campaign.get("retention", {}),
        "reminded_runs": campaign.get("reminded_runs", 0),
        "lapses_prevented": campaign.get("lapses_prevented", 0),
        "proactive_claims": {
            "opened": totals.get("opened", 0),
            "awaiting_family": totals.get("awaiting_family", 0),
            "completed": totals.get("completed", 0),
            "paid": totals.get("paid", 0),
            "reported_deaths": proactive.get("reported_deaths", {}),
        },
    }


def chart(values: Mapping[str, float]) -> Chart:
    labels = tuple(values)
    return Chart(labels, tuple(bars([float(values[k]) for k in labels], CHART_WIDTH, CHART_HEIGHT, gap=6.0)))


def charts(view: Mapping[str, Any]) -> dict[str, Chart]:
    retention = {months: (r["share"] or 0.0) * 100 for months, r in view["retention"].items()}
    return {
        "kecamatan": chart(dict(sorted(view["enrolments"]["by_kecamatan"].items()))),
        "segment": chart(dict(sorted(view["enrolments"]["by_segment"].items()))),
        "retention": chart(retention),
        "proactive": chart({"opened": view["proactive_claims"]["opened"], "paid": view["proactive_claims"]["paid"]}),
    }

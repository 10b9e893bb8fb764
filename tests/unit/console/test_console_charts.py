"""The SVG the console draws: bars scaled to the busiest minute, the pipeline laid out by topic."""

from services.console.domain.charts import bars, pipeline


def test_bars_are_scaled_to_the_largest_value_and_an_empty_minute_has_no_height():
    drawn = bars([0, 5, 10], width=30, height=20, gap=0)
    assert [(b.x, b.height, b.y) for b in drawn] == [(0, 0, 20), (10, 10, 10), (20, 20, 0)]
    assert bars([], 30, 20) == []
    assert {b.height for b in bars([0, 0], 30, 20)} == {0}


def test_the_pipeline_links_each_service_to_its_topics_and_each_topic_to_its_readers():
    producers = {
        "claims.filed.v1": "claims",
        "claims.decisions.v1": "claims",
        "notifications.deliveries.v1": "notifications",
    }
    readers = {
        "claims.filed.v1": ["claims.verification", "notifications.claims"],
        "claims.decisions.v1": ["notifications.claims"],
        "notifications.deliveries.v1": ["claims.timeline"],
    }
    lag = {("claims.verification", "claims.filed.v1"): 3, ("notifications.claims", "claims.decisions.v1"): 2}
    diagram = pipeline(producers, readers, lag)
    links = {(e.source.label, e.target.label) for e in diagram.edges}
    assert links == {
        ("claims", "claims.filed.v1"),
        ("claims", "claims.decisions.v1"),
        ("notifications", "notifications.deliveries.v1"),
        ("claims.filed.v1", "claims.verification"),
        ("claims.filed.v1", "notifications.claims"),
        ("claims.decisions.v1", "notifications.claims"),
        ("notifications.deliveries.v1", "claims.timeline"),
    }
    # A group reading two topics has a box on each, with that topic's lag.
    boxes = {(n.id.split(":")[1], n.label): n for n in diagram.nodes if n.kind == "group"}
    assert boxes[("claims.filed.v1", "notifications.claims")].lag == 0
    assert boxes[("claims.decisions.v1", "notifications.claims")].lag == 2
    groups = {n.label: n for n in diagram.nodes if n.kind == "group"}
    assert groups["claims.verification"].lag == 3 and groups["claims.timeline"].lag == 0
    # A topic sits between its readers; no two boxes of a column overlap.
    topic = next(n for n in diagram.nodes if n.label == "claims.filed.v1")
    assert boxes[("claims.filed.v1", "claims.verification")].cy < topic.cy
    assert topic.cy < boxes[("claims.filed.v1", "notifications.claims")].cy
    ys = sorted(n.y for n in diagram.nodes if n.kind == "group")
    assert all(b - a >= 26 for a, b in zip(ys, ys[1:]))

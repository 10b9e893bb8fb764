"""What the services' outboxes set aside, as the flows page shows it: a service that does not
answer is unknown, never zero; keys and reasons are masked; the headline is never green while
anything is set aside, and names the quarantine before any group's lag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

from services.console import i18n
from services.console.domain.flow_health import flow_health
from services.console.domain.quarantine import flows_verdict, quarantine_view
from services.console.pages import base_context, templates

NIK = "7371034506920001"


@dataclass
class G:
    group_id: str
    members: tuple
    total_lag: int


CAUGHT_UP = flow_health([G("claims.decisions", ("claims-1",), 0)], {})
LAGGING = flow_health([G("claims.decisions", ("claims-1",), 4)], {})


def held(
    key: str = "CL-7",
    reason: str = "refused by Kafka: MessageSizeTooLargeError",
    at: str = "2026-11-29T05:00:00+00:00",
    event_type: str = "ClaimFiled",
) -> dict:
    return {
        "id": 1,
        "event_id": "e1",
        "topic": "claims.filed.v1",
        "key": key,
        "event_type": event_type,
        "size_bytes": 1_200_345,
        "attempts": 1,
        "reason": reason,
        "created_at": at,
        "quarantined_at": at,
    }


def test_a_service_that_does_not_answer_is_unknown_not_zero():
    view = quarantine_view(
        {
            "enrollment": {"count": 0, "events": []},
            "claims": None,
            "notifications": {"count": "many", "events": []},
            "grievances": {"detail": "?"},
        }
    )
    assert view.counts == {"enrollment": 0, "claims": None, "notifications": None, "grievances": None}
    assert view.total == 0 and view.unknown == ("claims", "notifications", "grievances")
    # every group caught up, but nobody can vouch for three quarantines: not green
    assert flows_verdict(CAUGHT_UP, view) == "quarantine_unknown"


def test_events_of_every_service_are_counted_and_listed_oldest_first_with_the_key_and_reason_masked():
    view = quarantine_view(
        {
            "claims": {
                "count": 2,
                "events": [
                    held(at="2026-11-29T05:00:00+00:00"),
                    held(
                        key=f"CL-{NIK}",
                        reason=f"refused for NIK {NIK} and 081234567890",
                        at="2026-11-29T04:00:00+00:00",
                    ),
                ],
            },
            "enrollment": {
                "count": 1,
                "events": [held(key="P-1", event_type="ContributionRecorded", at="2026-11-29T04:30:00+00:00")],
            },
            "notifications": {"count": 0, "events": []},
            "grievances": {"count": 0, "events": []},
        }
    )
    assert view.total == 2 + 1 and view.unknown == ()
    assert [(e.service, e.quarantined_at.hour) for e in view.events] == [
        ("claims", 4),
        ("enrollment", 4),
        ("claims", 5),
    ]
    first = view.events[0]
    assert NIK not in first.key and NIK not in first.reason and "081234567890" not in first.reason
    assert first.key == "CL-7371" + "*" * 12 and "NIK 7371" in first.reason
    assert first.size_bytes == 1_200_345


def test_the_headline_names_the_quarantine_first_and_is_green_only_when_everyone_holds_nothing():
    nothing = quarantine_view({"claims": {"count": 0, "events": []}, "enrollment": {"count": 0, "events": []}})
    one = quarantine_view({"claims": {"count": 1, "events": [held()]}, "enrollment": None})
    assert flows_verdict(CAUGHT_UP, nothing) == "green"
    assert flows_verdict(CAUGHT_UP, one) == "quarantined"
    assert flows_verdict(LAGGING, one) == "quarantined"
    assert flows_verdict(LAGGING, nothing) == "lagging"


def test_a_hostile_answer_is_read_without_trusting_it():
    view = quarantine_view(
        {
            "claims": {"count": -3, "events": []},
            "enrollment": {
                "count": 2,
                "events": ["x", {"key": "K" * 10_000, "size_bytes": True, "quarantined_at": "not a time"}],
            },
        }
    )
    assert view.counts == {"claims": None, "enrollment": 2}
    (event,) = view.events
    assert len(event.key) == 2_000 and event.size_bytes is None and event.quarantined_at is None


def panel(view, verdict: str, lang: str = "en") -> str:
    session = SimpleNamespace(actor=SimpleNamespace(role="operator", subject="o"), csrf="x")
    context = {
        "error": None,
        "total_lag": 0,
        "idle_lag": 0,
        "taken_at": datetime(2026, 11, 29, tzinfo=UTC),
        "diagram": SimpleNamespace(width=10, height=10, edges=[], nodes=[]),
        "flows": SimpleNamespace(topics=[]),
        "dead_letter_topics": set(),
        "producers": {},
        "sparks": {},
        "groups": [],
        "idle": [],
        "headline": lambda worst: worst.group_id,
        "health": CAUGHT_UP,
        "concerns": {},
        "quarantine": view,
        "verdict": verdict,
    }
    return templates.env.get_template("_flows_panel.html").render(
        base_context(lang, session, 5, "/flows", None) | context
    )  # type: ignore[arg-type]


def test_the_panel_shows_the_count_in_the_headline_and_lists_each_event_masked():
    view = quarantine_view({"claims": {"count": 1, "events": [held(key=f"CL-{NIK}")]}, "grievances": None})
    html = panel(view, flows_verdict(CAUGHT_UP, view))
    summary = re.search(r'<p class="summary ([a-z]+)"[^>]*data-health="([a-z_]+)"[^>]*>(.*?)</p>', html, re.S)
    assert summary.group(1, 2) == ("bad", "quarantined")
    assert "1 events set aside" in summary.group(3)
    assert NIK not in html and 'data-held-service="claims"' in html
    row = html.split('data-held-service="claims"')[1].split("</tr>")[0]
    assert i18n.TEXT["event_ClaimFiled"][1] in row and "ClaimFiled" not in row
    assert "MessageSizeTooLargeError" in html and "1,200,345" in html
    assert re.search(r'data-quarantine-service="grievances" data-count="">grievances: <span class="warn">unknown', html)


def test_the_panel_says_unknown_rather_than_all_caught_up_when_a_service_did_not_answer():
    view = quarantine_view({"claims": {"count": 0, "events": []}, "grievances": None})
    html = panel(view, flows_verdict(CAUGHT_UP, view), lang="id")
    assert 'data-health="quarantine_unknown"' in html and "grievances tidak diketahui" in html
    assert "Tidak ada peristiwa yang disisihkan" not in html  # not said while one service is unknown

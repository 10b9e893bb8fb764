"""One trace per claim: the request that files it, verification, payout and each family message
share one trace id, read as an operator's tools read it — the `traceparent` header of every event
of the claim on every topic (a plain aiokafka consumer), and the services' own log lines.

Claims and notifications run as processes here so their log lines are theirs, in files this test
reads; enrollment and the stand-ins run in this process (tests/support/pipeline.py)."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from pathlib import Path

import httpx
import pytest

from services.enrollment.domain import Period, contribution_due
from shared.topics import CATALOGUE, CLAIM_DECISIONS, CLAIMS_FILED, DELIVERIES, PAYOUTS
from shared.tracing import trace_id_of
from tests.e2e.test_claim_reaches_the_family import JKM_DOCUMENTS
from tests.support.kafka_tools import read_all, wait_until
from tests.support.pipeline import pipeline
from tests.support.processes import ServiceProcess
from tests.support.services import auth, participant_form

pytestmark = pytest.mark.e2e

W3C_TRACEPARENT = r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"  # version-trace-span-flags


def log_lines(path: Path) -> list[dict]:
    """The JSON lines of a service's log (other libraries' plain lines are skipped)."""
    lines = []
    for text in path.read_text(errors="replace").splitlines():
        if text.startswith("{"):
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:
                continue
    return lines


async def test_filing_verification_payout_and_each_message_are_one_trace(kafka_bootstrap, database_url, tmp_path):
    # The in-process claims consumes nothing and relays nothing: the claims process does it all.
    async with pipeline(
        kafka_bootstrap,
        database_url,
        tmp_path,
        notifications_in_process=False,
        claims_overrides={"consumers": "none", "run_relay": False},
    ) as p:
        debug = {"LOG_LEVEL": "DEBUG"}  # a line per request, message and send (docs/observability.md)
        claims = await ServiceProcess(
            "claims", kafka_bootstrap, database_url, tmp_path, **debug, CLAIMS_HANDLER_BACKOFF_SECONDS="0.05"
        ).start()
        notifications = await ServiceProcess(
            "notifications",
            kafka_bootstrap,
            database_url,
            tmp_path,
            **p.notifications_env(),
            **debug,
            NOTIFICATIONS_DELIVERY_RETRY_BASE_SECONDS="0.2",
            NOTIFICATIONS_HANDLER_BACKOFF_SECONDS="0.05",
        ).start()
        try:
            async with (
                httpx.AsyncClient(base_url=claims.url, headers=auth(), timeout=30) as c,
                httpx.AsyncClient(base_url=notifications.url, headers=auth(), timeout=30) as n,
            ):
                phone = f"0813{random.randint(10_000_000, 99_999_999)}"
                form = participant_form(
                    member_since="2026-01-12",
                    heirs=[{"full_name": "Andi Baso", "relationship": "spouse", "phone": phone}],
                )
                participant_id = (await p.enrollment.post("/v1/participants", json=form)).json()["participant_id"]
                today = date.today()
                due = contribution_due(2_000_000, ["JKK", "JKM"], "market_trader", "self", Period.of(today))
                paid = await p.enrollment.post(
                    f"/v1/participants/{participant_id}/contributions",
                    json={
                        "period": str(Period.of(today)),
                        "amount": due.total,
                        "payer": "self",
                        "paid_at": today.isoformat(),
                    },
                )
                assert paid.status_code == 201, paid.text

                async def covered() -> bool:
                    found = (await c.get("/v1/participants", params={"q": form["full_name"]})).json()
                    return any(
                        x["participant_id"] == participant_id and x["coverage_status"] == "active" for x in found
                    )

                await wait_until(covered, 60, "claims' read model to see the active coverage")

                # An outside caller with no trace of its own: the claims service starts the trace.
                filed = await c.post(
                    "/v1/claims",
                    json={
                        "participant_id": participant_id,
                        "claim_type": "JKM",
                        "incident_date": today.isoformat(),
                        "incident_place": "Pasar Terong, Makassar",
                        "cause": "heart attack at home",
                        "reporter": {"name": "Andi Baso", "phone": "+62" + phone[1:], "organisation": "suami"},
                        "documents": JKM_DOCUMENTS,
                    },
                )
                assert filed.status_code == 202, filed.text
                claim_id = filed.json()["claim_id"]
                request_correlation = filed.headers["x-correlation-id"]

                async def payout_recorded() -> bool:
                    return (await c.get(f"/v1/claims/{claim_id}")).json()["status"] == "payout_recorded"

                await wait_until(payout_recorded, 90, "verification and payout recording")

                async def family_told() -> bool:
                    rows = (await n.get("/v1/notifications", params={"claim_id": claim_id})).json()
                    return len(rows) == 2 and all(r["status"] == "delivered" for r in rows)

                # ClaimFiled and PayoutRecorded, each once to the one heir: 2 x 1 messages.
                await wait_until(family_told, 90, "the two messages to the heir delivered")

                events = await claim_events(kafka_bootstrap, claim_id)

                async def all_events_out() -> bool:
                    nonlocal events
                    events = await claim_events(kafka_bootstrap, claim_id)
                    return sum(e["event_type"] == "NotificationDelivered" for e in events) == 2

                await wait_until(all_events_out, 60, "both NotificationDelivered events on their topic")
        finally:
            claims.stop()
            notifications.stop()

    # Every event of the claim, whichever service wrote it and on whichever topic, carries a
    # W3C traceparent, and all of them name the same trace.
    types = {e["event_type"] for e in events}
    assert {"ClaimFiled", "ClaimApproved", "PayoutRecorded", "NotificationDelivered"} <= types, types
    assert {CLAIMS_FILED.name, CLAIM_DECISIONS.name, PAYOUTS.name, DELIVERIES.name} <= {e["topic"] for e in events}
    for e in events:
        assert e["traceparent"] is not None and re.fullmatch(W3C_TRACEPARENT, e["traceparent"]), e
    trace_ids = {trace_id_of(e["traceparent"]) for e in events}
    assert len(trace_ids) == 1, sorted((e["topic"], e["event_type"], e["traceparent"]) for e in events)
    (trace_id,) = trace_ids
    # Each hop is its own span: the events do not all share one parent.
    assert len({e["traceparent"] for e in events}) > 1

    # The services' log lines for it: claims (the filing request, its consumers) and notifications
    # (its consumers, the dispatcher's sends), each line with the trace, the case and the event.
    claims_lines = [line for line in log_lines(claims.log) if line.get("trace_id") == trace_id]
    notification_lines = [line for line in log_lines(notifications.log) if line.get("trace_id") == trace_id]
    assert claims_lines and notification_lines
    for line in claims_lines + notification_lines:
        assert {"correlation_id", "event_id", "trace_id"} <= line.keys(), line
    requests = [line for line in claims_lines if line["event"] == "request.handled" and line["status"] == 202]
    # The filing request's line names the claim (its first event) rather than the request's own id.
    assert len(requests) == 1 and requests[0]["correlation_id"] == claim_id
    assert requests[0]["event_id"] == next(e["event_id"] for e in events if e["event_type"] == "ClaimFiled")
    assert request_correlation.startswith("req-")
    handled = [line for line in claims_lines if line["event"] in ("message.applied", "message.handled")]
    # The death the claim confirms changes the participant's record (enrollment's event, about the
    # participant): caused by the claim, so in its trace, under the participant's correlation id.
    assert {line["correlation_id"] for line in handled} <= {claim_id, participant_id}
    assert {line["event_type"] for line in handled if line["correlation_id"] == claim_id} >= {
        "ClaimFiled",
        "ClaimApproved",
    }
    sends = [line for line in notification_lines if line["event"] == "notification.attempted"]
    assert len(sends) == 2 and all(line["correlation_id"] == claim_id for line in sends)
    # Still masked: the worker's NIK is in no line of either log.
    for path in (claims.log, notifications.log):
        assert form["nik"] not in path.read_text(errors="replace")


async def claim_events(bootstrap: str, claim_id: str) -> list[dict]:
    """Every event on every topic whose correlation_id header is the claim's, as a client reads it."""
    found = []
    for topic in CATALOGUE:
        for record in await read_all(bootstrap, topic.name):
            headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
            if headers.get("correlation_id") == claim_id:
                found.append(
                    {
                        "topic": record.topic,
                        "event_type": headers.get("event_type"),
                        "event_id": headers.get("event_id"),
                        "traceparent": headers.get("traceparent"),
                    }
                )
    return found

"""What an operator's Prometheus scrapes, on real Kafka and PostgreSQL with the four services in
this process: a claim filed, paid and told to the family moves the counters and gauges it should
by the figures counted here by hand; route labels are templates, never a caller's path; probes."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import yaml

from services.claims.domain.dates import add_months
from shared.clock import today as makassar_today
from shared.db import apply_migrations, create_pool
from shared.metrics import OUTBOX_DEPTH, OUTBOX_OLDEST_AGE
from shared.observability import outbox_standing
from shared.topics import CLAIMS_FILED
from tests.support.claimants import (
    CHILD,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    SPOUSE,
    claim_form,
    covered_participant,
    wait_for_status,
)
from tests.support.console import console, served
from tests.support.kafka_tools import committed_offsets, end_offsets, wait_until
from tests.support.metrics import Scrape, metric_names_in, scrape
from tests.support.pipeline import pipeline
from tests.support.stack import REPO

pytestmark = pytest.mark.integration
OBSERVABILITY = REPO / "deploy" / "observability"


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap, database_url, tmp_path_factory):
    async with (
        pipeline(kafka_bootstrap, database_url, tmp_path_factory.mktemp("metrics")) as p,
        served(p.enrollment.app) as enrollment_url,
        served(p.claims.app) as claims_url,
        served(p.notifications.app) as notifications_url,
        console(
            kafka_bootstrap,
            database_url,
            claims_url=claims_url,
            enrollment_url=enrollment_url,
            notifications_url=notifications_url,
            name=f"console_{uuid.uuid4().hex[:8]}",
        ) as c,
    ):
        yield p, c


async def scrapes(stack) -> dict[str, Scrape]:
    p, c = stack
    async with c.client("operator") as operator:
        console_scrape = await scrape(operator)
    return {
        "enrollment": await scrape(p.enrollment),
        "claims": await scrape(p.claims),
        "notifications": await scrape(p.notifications),
        "console": console_scrape,
    }


@pytest.fixture(scope="module")
async def paid_claim(stack):
    """Scrapes before and after a JKM claim is filed, approved by the rules, paid, and told to both
    heirs (filed and payout: 2 events x 2 heirs = 4 messages delivered)."""
    p, _c = stack
    before = await scrapes(stack)
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[SPOUSE, CHILD]
    )
    filed = await p.claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "payout_recorded", timeout=60)

    async def families_told() -> bool:
        rows = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
        return len(rows) == 4 and all(r["status"] == "delivered" for r in rows)

    await wait_until(families_told, 60, "four messages delivered")
    return claim_id, before


async def test_http_requests_are_counted_per_route_template_and_status(stack, paid_claim):
    p, _c = stack
    claim_id, before = paid_claim
    assert (await p.claims.get(f"/v1/claims/{claim_id}")).status_code == 200
    probe = f"/v1/no-such-route/{uuid.uuid4().hex}"
    assert (await p.claims.get(probe)).status_code == 404
    after = await scrape(p.claims)

    filed = dict(service="claims", method="POST", route="/v1/claims", status="202")
    assert (
        after.value("jaring_http_requests_total", **filed)
        == before["claims"].value("jaring_http_requests_total", **filed) + 1
    )
    assert (
        after.value(
            "jaring_http_requests_total", service="claims", method="GET", route="/v1/claims/{claim_id}", status="200"
        )
        >= 1
    )
    assert (
        after.value("jaring_http_request_duration_seconds_count", service="claims", method="POST", route="/v1/claims")
        >= 1
    )
    assert after.value("jaring_http_requests_total", service="claims", route="unmatched", status="404") >= 1
    # A caller's path never becomes a label: ids and probes would grow the series without bound.
    assert claim_id not in after.text and probe.rsplit("/", 1)[1] not in after.text


async def test_the_claim_moves_the_claims_gauge_the_consumers_counters_and_the_family_messages(stack, paid_claim):
    claim_id, before = paid_claim
    after = await scrapes(stack)

    def grew(service: str, name: str, **labels: str) -> float:
        return after[service].value(name, **labels) - before[service].value(name, **labels)

    assert grew("claims", "jaring_claims", status="payout_recorded") == 1
    assert (
        grew(
            "claims",
            "jaring_events_handled_total",
            consumer="claims.verification",
            event_type="ClaimFiled",
            outcome="applied",
        )
        == 1
    )
    assert (
        grew("claims", "jaring_handler_duration_seconds_count", consumer="claims.verification", topic=CLAIMS_FILED.name)
        >= 1
    )
    # FastStream's middleware: per app and topic (handler).
    assert grew("claims", "faststream_received_messages_total", app_name="claims", handler=CLAIMS_FILED.name) >= 1
    assert grew("claims", "jaring_events_published_total", topic=CLAIMS_FILED.name) >= 1
    assert grew("notifications", "jaring_notifications_finished_total", status="delivered") == 4
    assert grew("notifications", "jaring_notification_attempts_total", outcome="delivered") == 4
    assert after["claims"].has("jaring_outbox_depth", service="claims")
    assert after["claims"].has("jaring_outbox_oldest_age_seconds", service="claims")


async def test_a_claim_past_its_payment_deadline_and_unpaid_is_counted_as_breached(stack, paid_claim):
    p, _c = stack
    claim_id, _before = paid_claim
    pool = p.claims.app.state.runtime.pool
    before = (await scrape(p.claims)).value("jaring_claims_payment_deadline_breached", claim_type="JKM")
    # Paid on paper (payout recorded) but not transferred: only the deadline is moved into the past.
    await pool.execute(
        "UPDATE claims SET sla_deadline = $2 WHERE claim_id = $1", claim_id, makassar_today() - timedelta(days=1)
    )
    after = await scrape(p.claims)
    assert after.value("jaring_claims_payment_deadline_breached", claim_type="JKM") == before + 1
    await pool.execute("UPDATE claims SET disbursement_status = 'paid' WHERE claim_id = $1", claim_id)
    assert (await scrape(p.claims)).value("jaring_claims_payment_deadline_breached", claim_type="JKM") == before


async def test_consumer_lag_per_group_and_partition_is_what_kafka_reports(stack, paid_claim, kafka_bootstrap):
    _p, c = stack
    group, topic = "claims.verification", CLAIMS_FILED.name

    async def gauges_match_kafka() -> bool:
        ends = await end_offsets(kafka_bootstrap, topic)
        done = await committed_offsets(kafka_bootstrap, group, topic)
        async with c.client("operator") as operator:
            seen = await scrape(operator)
        return all(
            seen.has("jaring_consumer_lag", group=group, topic=topic, partition=str(partition))
            and seen.value("jaring_consumer_lag", group=group, topic=topic, partition=str(partition))
            == end - done.get(partition, 0)
            for partition, end in ends.items()
        )

    await wait_until(gauges_match_kafka, 30, "the lag gauges equal end minus committed offsets")
    async with c.client("operator") as operator:
        seen = await scrape(operator)
    assert seen.has("jaring_dead_letters_waiting", topic=CLAIMS_FILED.dlq)


async def test_outbox_depth_and_oldest_age_are_read_from_the_outbox(database_url):
    schema = f"outbox_{uuid.uuid4().hex[:8]}"
    await apply_migrations(database_url, schema, None)
    pool = await create_pool(database_url, schema)
    try:
        app = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(name=schema, pool=pool)))
        await outbox_standing(app)
        assert (OUTBOX_DEPTH.labels(schema)._value.get(), OUTBOX_OLDEST_AGE.labels(schema)._value.get()) == (0, 0)
        for seconds_ago in (90, 30):
            await pool.execute(
                "INSERT INTO outbox (event_id, topic, key, event_type, headers, body, created_at) "
                "VALUES ($1, 't', 'k', 'T', '[]', ''::bytea, now() - make_interval(secs => $2))",
                uuid.uuid4(),
                seconds_ago,
            )
        await outbox_standing(app)
        assert OUTBOX_DEPTH.labels(schema)._value.get() == 2
        assert 90 <= OUTBOX_OLDEST_AGE.labels(schema)._value.get() < 90 + 60  # the older row, read just now
    finally:
        await pool.close()


async def test_liveness_asks_nothing_of_dependencies_and_readiness_checks_them(stack):
    p, c = stack
    for client in (p.enrollment, p.claims, p.notifications):
        live = await client.get("/livez")
        assert (live.status_code, live.json()["status"]) == (200, "alive")
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "ready" and set(ready["checks"]) == {"database", "kafka", "outbox_relay"}
        assert (await client.get("/health")).json() == ready


async def test_every_metric_the_dashboard_and_the_alerts_query_is_exported_by_a_service(stack, paid_claim):
    exported = set().union(*(s.names() for s in (await scrapes(stack)).values()))
    queried = {}
    for panel in json.loads((OBSERVABILITY / "grafana" / "jaring.json").read_text())["panels"]:
        for target in panel["targets"]:
            queried[f"panel {panel['title']!r}"] = metric_names_in(target["expr"])
    for group in yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())["groups"]:
        for rule in group["rules"]:
            queried[f"alert {rule['alert']}"] = metric_names_in(rule["expr"])
    for where, names in queried.items():
        assert names, f"{where} queries no metric"
        assert names <= exported, f"{where} queries {sorted(names - exported)}, which no service exports"

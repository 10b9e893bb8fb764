"""Operators' pages: the flows, the dead letters, a claim's trace, stuck claims, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from services.console import handlers, i18n
from services.console import repository as repo
from services.console.api import FLOW_TOPICS, PRODUCERS, current_flows, kafka_view
from services.console.consumers import DEAD_LETTER_TOPICS, index_consumer_names
from services.console.domain import charts
from services.console.domain.dead_letters import masked_payload, pretty_payload
from services.console.domain.flow_health import flow_health
from services.console.domain.quarantine import flows_verdict
from services.console.pages import language, page_router, redirect, render
from services.console.session import Session, check_csrf, page_session
from services.console.upstream import Upstream
from shared.errors import RuleViolation

router = page_router()
Operator = Annotated[Session, Depends(page_session("operator"))]
Watcher = Annotated[Session, Depends(page_session("operator", "supervisor"))]


# --- flows ---------------------------------------------------------------------------------------------


async def _flows_context(request: Request, session: Session) -> dict:
    # What the services' outboxes set aside is shown even when Kafka cannot be reached.
    held = await handlers.quarantine(Upstream(request.app.state.runtime.settings, session.token))
    try:
        flows = await current_flows(request)
    except Exception as exc:  # noqa: BLE001 - the page says Kafka cannot be reached and keeps polling
        return {"flows": None, "error": f"{type(exc).__name__}: {exc}", "quarantine": held}
    # The diagram is the running pipeline: groups with members. The headline and the table
    # judge every group (domain/flow_health.py): a group without members reads nothing, and
    # is named, not folded away.
    active = [g for g in flows.groups if g.members]
    idle = [g for g in flows.groups if not g.members]
    health = flow_health(flows.groups, _lag_before(request, flows))
    by_id = {g.group_id: g for g in flows.groups}
    readers: dict[str, list[str]] = {}
    for group in active:
        for topic in group.topics:
            readers.setdefault(topic, []).append(group.group_id)
    lag = {(g.group_id, t.topic): t.lag for g in active for t in g.lag}
    diagram = charts.pipeline(PRODUCERS, readers, lag)
    sparks = {t.name: charts.bars([float(v) for v in t.per_minute], 150, 24) for t in flows.topics}
    t = i18n.translator(language(request))

    def headline(worst) -> str:
        return t(
            f"worst_{worst.concern}",
            group=worst.group_id,
            n=i18n.number(worst.lag, language(request)),
            grew=i18n.number(worst.grew_by, language(request)),
        )

    return {
        "flows": flows,
        "groups": [by_id[h.group_id] for h in health.groups],
        "idle": idle,
        "headline": headline,
        "idle_lag": sum(g.total_lag for g in idle),
        "health": health,
        "concerns": {h.group_id: h for h in health.groups},
        "diagram": diagram,
        "sparks": sparks,
        "producers": PRODUCERS,
        "taken_at": datetime.fromtimestamp(flows.taken_at, UTC),
        "total_lag": sum(lag.values()),
        "dead_letter_topics": DEAD_LETTER_TOPICS,
        "error": None,
        "quarantine": held,
        "verdict": flows_verdict(health, held),
    }


def _lag_before(request: Request, flows) -> dict[str, int]:
    """Each group's lag in the Kafka snapshot before this one (kept in the process), so a
    lag that grows between two looks is told from one that is merely there."""
    state = request.app.state
    seen = getattr(state, "lag_seen", None)
    if seen is None or seen[0] != flows.taken_at:
        before = seen[1] if seen else {}
        state.lag_seen = (flows.taken_at, {g.group_id: g.total_lag for g in flows.groups}, before)
    return state.lag_seen[2]


@router.get("/flows")
async def flows_page(request: Request, session: Operator) -> Response:
    return render(request, "flows.html", session, **await _flows_context(request, session))


@router.get("/flows/panel")
async def flows_panel(request: Request, session: Operator) -> Response:
    return render(request, "_flows_panel.html", session, **await _flows_context(request, session))


# --- dead letters ----------------------------------------------------------------------------------------


@router.get("/dlq")
async def dlq_page(request: Request, session: Operator) -> Response:
    return await _dlq(request, session, None)


@router.get("/dlq/{topic}")
async def dlq_topic_page(request: Request, session: Operator, topic: str, status: str = "waiting") -> Response:
    return await _dlq(request, session, topic if topic in DEAD_LETTER_TOPICS else None, status)


async def _dlq(request: Request, session: Session, topic: str | None, status: str = "waiting") -> Response:
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        overview = handlers.dlq_topics(await repo.dead_letter_counts(conn), DEAD_LETTER_TOPICS)
        if topic is None:
            topic = next((t["name"] for t in overview if t["count"]), DEAD_LETTER_TOPICS[0])
        status = status if status in ("waiting", "replayed", "discarded") else "waiting"
        letters = await repo.dead_letters(conn, topic, status)
        audit = await repo.audit_trail(conn, "dlq.", 20)
        earlier = await repo.earlier_attempts(conn, [str(x["event_id"]) for x in letters if x["event_id"]])
    cards = dead_letter_cards(letters)
    for card in cards:
        me = card["letter"]
        card["earlier"] = [
            x
            for x in earlier.get(str(me["event_id"]), ())
            if (x["topic"], x["kafka_partition"], x["kafka_offset"])
            != (me["topic"], me["kafka_partition"], me["kafka_offset"])
        ]
    return render(request, "dlq.html", session, overview=overview, topic=topic, status=status, cards=cards, audit=audit)


def dead_letter_cards(letters: list[dict]) -> list[dict]:
    """One card per original record: when several consumers dead-lettered the same record,
    their copies are one message to an operator (a replay or a discard acts on all of them)."""
    cards: dict[tuple, dict] = {}
    for letter in letters:
        known = letter["original_offset"] is not None and letter["original_partition"] is not None
        key = (
            (letter["original_topic"], letter["original_partition"], letter["original_offset"])
            if known
            else (letter["topic"], letter["kafka_partition"], letter["kafka_offset"])
        )
        card = cards.setdefault(key, {"letter": letter, "copies": [], "pretty": pretty_payload(letter["payload"])})
        card["copies"].append(letter)
    return list(cards.values())


def _where(topic: str, partition: int, offset: int) -> str:
    return f"{topic}/{partition}/{offset}"


@router.post("/dlq/{topic}/{partition}/{offset}/replay")
async def replay(
    request: Request, session: Operator, topic: str, partition: int, offset: int, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(session, csrf)
    t = i18n.translator(language(request))
    runtime = request.app.state.runtime
    try:
        async with runtime.pool.acquire() as conn, conn.transaction():
            done = await handlers.replay(
                conn, kafka_view(runtime), runtime.producer, topic, partition, offset, session.actor
            )
    except handlers.AlreadyResolved as exc:
        return redirect(
            f"/dlq/{topic}",
            t("already_resolved", status=t(f"dlq_{exc.letter['status']}"), by=exc.letter["resolved_by"]),
        )
    except (handlers.DeadLetterNotFound, handlers.RecordGone):
        return redirect(f"/dlq/{topic}", t("record_gone"))
    return redirect(f"/dlq/{topic}", t("replayed_flash", topic=done["to_topic"], what=_where(topic, partition, offset)))


@router.post("/dlq/{topic}/{partition}/{offset}/discard")
async def discard(
    request: Request,
    session: Operator,
    topic: str,
    partition: int,
    offset: int,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(session, csrf)
    t = i18n.translator(language(request))
    runtime = request.app.state.runtime
    try:
        async with runtime.pool.acquire() as conn, conn.transaction():
            await handlers.discard(conn, topic, partition, offset, reason, session.actor)
    except RuleViolation:
        return redirect(f"/dlq/{topic}", t("discard_reason") + ": " + t("err_required"))
    except handlers.AlreadyResolved as exc:
        return redirect(
            f"/dlq/{topic}",
            t("already_resolved", status=t(f"dlq_{exc.letter['status']}"), by=exc.letter["resolved_by"]),
        )
    except handlers.DeadLetterNotFound:
        return redirect(f"/dlq/{topic}", t("record_gone"))
    return redirect(f"/dlq/{topic}", t("discarded_flash", what=_where(topic, partition, offset)))


@router.post("/dlq/{topic}/replay-all")
async def replay_all(
    request: Request,
    session: Operator,
    topic: str,
    csrf: Annotated[str, Form()] = "",
    expected: Annotated[int, Form()] = -1,
) -> Response:
    check_csrf(session, csrf)
    runtime = request.app.state.runtime
    t = i18n.translator(language(request))
    async with runtime.pool.acquire() as conn:
        waiting = len(dead_letter_cards(await repo.dead_letters(conn, topic, "waiting")))
    if waiting != expected:
        # The operator confirmed another count than what waits now: show the new count and ask again.
        return redirect(f"/dlq/{topic}", t("replay_all_count_changed", n=waiting, expected=max(expected, 0)))
    done = await handlers.replay_all(runtime.pool, kafka_view(runtime), runtime.producer, topic, session.actor)
    return redirect(f"/dlq/{topic}", t("replayed_all_flash", n=len(done)))


# --- message browser -----------------------------------------------------------------------------------------

MESSAGES_PER_PAGE = 20


@router.get("/messages")
async def messages_page(
    request: Request, session: Operator, topic: str = "", partition: int = 0, offset: int | None = None
) -> Response:
    """Any topic's records as Kafka holds them: partition, offset, time, key, type; payload
    masked. `offset` opens the page at that record (trace rows link here)."""
    topic = topic if topic in FLOW_TOPICS else ""
    records, first, end, error = [], 0, 0, None
    if topic:
        partition = max(0, min(partition, 1_000))
        start = max(offset, 0) if offset is not None else None
        try:
            view = kafka_view(request.app.state.runtime)
            if start is None:  # the latest page
                _r, first, end = await view.records(topic, partition, 1 << 62, 0)
                start = max(end - MESSAGES_PER_PAGE, first)
            records, first, end = await view.records(topic, partition, start, MESSAGES_PER_PAGE)
        except Exception as exc:  # noqa: BLE001 - the page says Kafka did not answer
            error = f"{type(exc).__name__}: {exc}"
    shown = [
        {
            "partition": r.partition,
            "offset": r.offset,
            "time": datetime.fromtimestamp(r.timestamp / 1000, UTC),
            "key": (r.key.decode(errors="replace") if isinstance(r.key, bytes) else r.key) or "",
            "type": dict((k, v) for k, v in (r.headers or ())).get("event_type", b"").decode(errors="replace"),
            "payload": masked_payload(r.value),
        }
        for r in records
    ]
    return render(
        request,
        "messages.html",
        session,
        topics=FLOW_TOPICS,
        topic=topic,
        partition=partition,
        offset=offset,
        records=shown,
        first=first,
        end=end,
        error=error,
        per_page=MESSAGES_PER_PAGE,
    )


# --- trace, stuck, deadlines --------------------------------------------------------------------------------


@router.get("/trace")
async def trace_page(request: Request, session: Watcher, q: str = "") -> Response:
    found = None
    if q.strip():
        async with request.app.state.runtime.pool.acquire() as conn:
            found = await handlers.trace(conn, q.strip(), index_consumer_names(request.app.state.runtime.name))
    template = request.app.state.runtime.settings.trace_url_template
    return render(
        request,
        "trace.html",
        session,
        q=q.strip(),
        found=found,
        trace_url=lambda trace_id: template.replace("{trace_id}", trace_id) if template else "",
    )


@router.get("/stuck")
async def stuck_page(request: Request, session: Watcher, older_than_s: int | None = None) -> Response:
    runtime = request.app.state.runtime
    older = runtime.settings.stuck_after_seconds if older_than_s is None else max(older_than_s, 0)
    now = datetime.now(UTC)
    async with runtime.pool.acquire() as conn:
        found = await handlers.stuck_claims(conn, now, older)
    return render(request, "stuck.html", session, claims=found, older_than_s=older, now=now)


@router.get("/sla")
async def sla_page(request: Request, session: Watcher, all: bool = False) -> Response:
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        found = await handlers.sla_standings(conn, datetime.now(UTC), runtime.settings.sla_warn_days)
    return render(
        request,
        "sla.html",
        session,
        claims=[s for s in found if all or s.flag != "ok"],
        show_all=all,
        warn_days=runtime.settings.sla_warn_days,
    )

"""Officers' and supervisors' pages: the review queue, work lists, a claim's page and its
actions, a participant's coverage (filing is pages/filing.py). Every action goes to the
owning service's API with the signed-in person's token; the console only shows what the
services answer."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from services.console import handlers, i18n
from services.console.pages import SECURITY_HEADERS, language, page_router, redirect, render
from services.console.pages.filing import (
    ALL_KINDS,
    CLAIM_TYPES,
    NIK_DOCUMENTS,
    field_messages,
    upstream,
    word_for,
)
from services.console.session import Session, check_csrf, page_session
from services.console.upstream import UpstreamError
from shared.contracts.vocabulary import CLAIM_STATUSES

router = page_router()
Officer = Annotated[Session, Depends(page_session("officer", "supervisor"))]
Supervisor = Annotated[Session, Depends(page_session("supervisor"))]


# --- work lists ----------------------------------------------------------------------------------------------

PAGE_SIZE = 50
EXPORT_MAX = 5_000  # rows in one CSV export: a branch's year of claims


def _list_filters(request: Request, session: Session) -> dict[str, Any]:
    status = request.query_params.get("status") or None
    mine = request.query_params.get("mine") == "1"
    return {
        "status": status if status in CLAIM_STATUSES else None,
        "filed_by": session.actor.subject if mine else None,
        "mine": mine,
    }


@router.get("/claims")
async def claims_list(request: Request, session: Officer, page: int = 1) -> Response:
    """ "My claims" (`mine=1`) and all claims, by status, a page at a time, oldest first."""
    page = max(1, min(page, 10_000))
    filters = _list_filters(request, session)
    try:
        rows = await upstream(request, session).claims(
            status=filters["status"], filed_by=filters["filed_by"], limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
        failed = None
    except UpstreamError as error:
        if error.status not in (502, 503, 504):
            raise
        rows, failed = [], error.service
    return render(
        request,
        "claims.html",
        session,
        claims=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        filters=filters,
        statuses=CLAIM_STATUSES,
        failed=failed,
        page_size=PAGE_SIZE,
    )


@router.get("/claims/export")
async def claims_export(request: Request, session: Officer) -> Response:
    """The same list as CSV (UTF-8, for a spreadsheet): statuses in the page's language, no NIK."""
    filters = _list_filters(request, session)
    api, lang = upstream(request, session), language(request)
    t = i18n.translator(lang)
    rows: list[dict[str, Any]] = []
    while len(rows) < EXPORT_MAX:
        batch = await api.claims(status=filters["status"], filed_by=filters["filed_by"], limit=500, offset=len(rows))
        rows.extend(batch)
        if len(batch) < 500:
            break
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            t("claim_id"),
            t("participant"),
            t("claim_type"),
            t("status"),
            t("incident_date"),
            t("filed_at"),
            t("filed_by"),
            t("days_left"),
        ]
    )
    for c in rows[:EXPORT_MAX]:
        writer.writerow(
            [
                c["claim_id"],
                c.get("participant_name") or c["participant_id"],
                c["claim_type"],
                word_for(lang, "status_", c["status"]),
                str(c["incident_date"])[:10],
                i18n.instant(c["filed_at"], lang),
                c.get("filed_by") or "",
                "" if c.get("days_left") is None else c["days_left"],
            ]
        )
    name = "klaim-saya.csv" if filters["mine"] else "klaim.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **SECURITY_HEADERS},
    )


@router.get("/claims/{claim_id}/print")
async def claim_print(request: Request, session: Officer, claim_id: str) -> Response:
    """A one-page summary for the family: what was filed, the decision, who is paid what."""
    return render(request, "claim_print.html", session, **await _claim_context(request, session, claim_id))


# --- a claim's page ------------------------------------------------------------------------------------------


@router.get("/claims/open")
async def open_claim(session: Officer, id: str = "") -> Response:
    return redirect(f"/claims/{id.strip()}" if id.strip() else "/review")


async def _claim_context(request: Request, session: Session, claim_id: str) -> dict[str, Any]:
    api = upstream(request, session)
    claim, messages = await asyncio.gather(api.claim(claim_id), api.notifications(claim_id))
    heirs: dict[str, str] = {}
    try:
        participant = await api.participant(claim["participant_id"])
        heirs = {h["heir_id"]: h["full_name"] for h in participant.get("heirs", [])}
    except UpstreamError:
        participant = None
    try:
        grievances: list[dict[str, Any]] | None = await api.grievances(claim_id)
    except UpstreamError:  # the grievances service is away: the rest of the page still helps
        grievances = None
    transfers: list[dict[str, Any]] = []
    if claim["status"] == "payout_recorded" and claim["disbursement"]["status"] != "paid":
        try:
            transfers = [
                line
                for line in (await api.disbursement(claim_id))["lines"]
                if line["status"] in ("received", "rejected")
            ]
        except UpstreamError:
            transfers = []
    async with request.app.state.runtime.pool.acquire() as conn:
        trace = await handlers.trace(conn, claim_id)
    closed = claim["status"] in CLOSED
    # Followed while something can still change: an open claim not yet paid, or a message
    # still waiting (a withdrawn claim's messages turn cancelled).
    live = any(m["status"] in ("pending", "sending") for m in messages) or (
        not closed and claim["disbursement"]["status"] != "paid"
    )
    return {
        "claim": claim,
        "messages": messages,
        "heirs": heirs,
        "participant": participant,
        "steps": trace.claims.get(claim_id, []),
        "live": live,
        "grievances": grievances,
        "closed": closed,
        "next_step": next_step(claim, transfers),
        "transfers": transfers,
        "may_withdraw": claim["status"] in WITHDRAWABLE
        and (session.actor.role == "supervisor" or session.actor.subject == claim["filed_by"]),
        "errors": {},
        "kept": {},
    }


# Claims that need nothing more; their deadlines do not count (claims says so too).
CLOSED = frozenset({"rejected", "withdrawn"})
WITHDRAWABLE = frozenset({"filed", "needs_review", "approved"})


def next_step(claim: dict[str, Any], transfers: list[dict[str, Any]]) -> str | None:
    """What the claim waits for, as the officer reads it (the action the page offers for it)."""
    status = claim["status"]
    if status == "filed":
        return "verification"
    if status == "needs_review":
        return "add_documents" if claim.get("missing_documents") else "decide"
    if status == "approved":
        return "payout_recording"
    if status == "payout_recorded" and claim["disbursement"]["status"] != "paid":
        return "record_transfer" if transfers else "transfer"
    return None


@router.get("/claims/{claim_id}")
async def claim_page(request: Request, session: Officer, claim_id: str) -> Response:
    return render(request, "claim.html", session, **await _claim_context(request, session, claim_id))


async def _claim_action(
    request: Request, session: Session, claim_id: str, call, done: str, kept: dict[str, str]
) -> Response:
    """Runs an action on the claim; on a refusal the claim page comes back with the reason
    next to the form and what was typed still in it."""
    t = i18n.translator(language(request))
    try:
        await call
    except UpstreamError as error:
        if error.status not in (403, 409, 422):
            raise
        detail = error.detail if isinstance(error.detail, dict) else {}
        if error.status == 422:
            message = "; ".join(field_messages(error, language(request)).values())
        else:
            code = str(detail.get("type", ""))
            message = t(f"err_{code}") if f"err_{code}" in i18n.TEXT else str(detail.get("msg", error.detail))
        context = await _claim_context(request, session, claim_id)
        return render(
            request, "claim.html", session, error.status, **context | {"errors": {done: message}, "kept": kept}
        )
    return redirect(f"/claims/{claim_id}", t(f"{done}_flash", id=claim_id))


@router.post("/claims/{claim_id}/withdrawal")
async def withdraw_claim(
    request: Request,
    session: Officer,
    claim_id: str,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(session, csrf)
    return await _claim_action(
        request,
        session,
        claim_id,
        upstream(request, session).withdraw(claim_id, reason),
        "withdrawn",
        {"reason": reason},
    )


@router.post("/claims/{claim_id}/documents")
async def add_documents(request: Request, session: Officer, claim_id: str) -> Response:
    fields = await request.form()
    check_csrf(session, str(fields.get("csrf") or ""))
    documents = {
        kind: str(fields.get(f"docnum_{kind}") or "").strip() for kind in ALL_KINDS if fields.get(f"doc_{kind}") == "on"
    }
    return await _claim_action(
        request,
        session,
        claim_id,
        upstream(request, session).add_documents(claim_id, documents),
        "documents_added",
        {k: v for k, v in documents.items() if k not in NIK_DOCUMENTS},
    )


@router.post("/claims/{claim_id}/transfer")
async def record_transfer(
    request: Request,
    session: Supervisor,
    claim_id: str,
    csrf: Annotated[str, Form()] = "",
    component: Annotated[str, Form()] = "",
    payee: Annotated[str, Form()] = "",
    bank_reference: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(session, csrf)
    call = upstream(request, session).record_transfer(claim_id, component, payee, bank_reference, note)
    return await _claim_action(
        request, session, claim_id, call, "transfer_recorded", {"bank_reference": bank_reference, "note": note}
    )


@router.get("/claims/{claim_id}/live")
async def claim_live(request: Request, session: Officer, claim_id: str) -> Response:
    return render(request, "_claim_live.html", session, **await _claim_context(request, session, claim_id))


# --- review queue --------------------------------------------------------------------------------------------

REVIEW_SORTS = ("days_left", "filed_at", "participant_name")


def review_order(
    claims: list[dict[str, Any]],
    claim_type: str = "",
    text: str = "",
    sort: str = "days_left",
    sampled_only: bool = False,
) -> list[dict[str, Any]]:
    """The queue as a supervisor asks to see it: by claim type, a name or id typed, the
    sampled ones, and sorted by days left (claims without a deadline yet last), filing time or name."""
    text = text.strip().casefold()
    shown = [
        c
        for c in claims
        if (not claim_type or c["claim_type"] == claim_type)
        and (not sampled_only or c.get("sampled"))
        and (not text or text in (c.get("participant_name") or "").casefold() or text in c["claim_id"].casefold())
    ]
    if sort == "participant_name":
        return sorted(shown, key=lambda c: ((c.get("participant_name") or "").casefold(), c["claim_id"]))
    if sort == "filed_at":
        return sorted(shown, key=lambda c: (str(c["filed_at"]), c["claim_id"]))
    return sorted(shown, key=lambda c: (c.get("days_left") is None, c.get("days_left") or 0, str(c["filed_at"])))


async def _queue(
    request: Request,
    session: Session,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    kept: dict[str, str] | None = None,
    decided_elsewhere: dict[str, Any] | None = None,
) -> Response:
    params = request.query_params
    sort = params.get("sort") if params.get("sort") in REVIEW_SORTS else "days_left"
    chosen = {
        "type": params.get("type") or "",
        "q": params.get("q") or "",
        "sort": sort,
        "sampled": params.get("sampled") == "1",
    }
    waiting = await upstream(request, session).claims(status="needs_review", limit=500)
    shown = review_order(waiting, chosen["type"], chosen["q"], sort, chosen["sampled"])
    # Fraud controls: how many of those waiting were referred by a random draw or their size.
    sampled = sum(1 for c in waiting if c.get("sampled"))
    return render(
        request,
        "review.html",
        session,
        status_code,
        claims=shown,
        waiting=len(waiting),
        sampled=sampled,
        errors=errors or {},
        kept=kept or {},
        chosen=chosen,
        claim_types=CLAIM_TYPES,
        sorts=REVIEW_SORTS,
        decided_elsewhere=decided_elsewhere,
    )


@router.get("/review")
async def review_queue(request: Request, session: Officer) -> Response:
    return await _queue(request, session)


@router.post("/review/{claim_id}/decision")
async def decide(
    request: Request,
    session: Supervisor,
    claim_id: str,
    csrf: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(session, csrf)
    lang = language(request)
    t = i18n.translator(lang)
    try:
        decided = await upstream(request, session).decide(claim_id, decision, reason)
    except UpstreamError as error:
        detail = error.detail if isinstance(error.detail, dict) else {}
        if error.status == 409 and detail.get("type") == "claim_already_decided":
            # Someone decided first: say who and when, and keep this supervisor's note.
            message = t(
                "err_claim_already_decided",
                status=word_for(lang, "decided_", detail.get("claim_status") or ""),
                by=detail.get("decided_by") if detail.get("decided_by") not in (None, "rules") else t("the_rules"),
                at=i18n.instant(detail.get("decided_at"), lang),
            )
            return await _queue(
                request,
                session,
                status_code=409,
                decided_elsewhere={"claim_id": claim_id, "message": message, "reason": reason, "decision": decision},
            )
        if error.status == 403 and detail:
            # Claims refused this person (four eyes): say why beside the claim.
            refusal = detail.get("type", "")
            message = t(f"err_{refusal}") if f"err_{refusal}" in i18n.TEXT else str(detail.get("msg", ""))
            return await _queue(request, session, {claim_id: message}, 403, kept={claim_id: reason})
        if error.status != 422:
            raise
        messages = field_messages(error, lang)
        return await _queue(request, session, {claim_id: "; ".join(messages.values())}, 422, kept={claim_id: reason})
    return redirect(f"/claims/{claim_id}", t("decided_flash", id=claim_id, status=t(f"status_{decided['status']}")))


# --- grievances (pengaduan) -----------------------------------------------------------------------------------


@router.get("/grievances")
async def grievance_queue(request: Request, session: Officer, overdue: bool = False) -> Response:
    """Open grievances ordered by deadline, the overdue ones marked; supervisors resolve them."""
    items = await upstream(request, session).grievances(overdue=overdue)
    return render(request, "grievances.html", session, grievances=items, overdue_only=overdue)


# --- participants ----------------------------------------------------------------------------------------------

# A full NIK or a phone number typed into the search: sent to enrollment in a POST body,
# never in a URL, and never shown back (the field is emptied, results carry the masked NIK).
_FULL_NIK = re.compile(r"^\d{16}$")
_PHONE = re.compile(r"^(\+?62|0)8\d{6,13}$")


def search_kind(query: str) -> str:
    """ "nik", "phone" or "name", from what was typed (spaces and dashes ignored)."""
    compact = re.sub(r"[\s\-.()]", "", query)
    if _FULL_NIK.match(compact):
        return "nik"
    if _PHONE.match(compact):
        return "phone"
    return "name"


async def _find(request: Request, session: Session, query: str) -> tuple[list[dict[str, Any]], str | None]:
    """Participants matching the query, and the service that failed to answer (or None)."""
    api, query = upstream(request, session), query.strip()
    kind = search_kind(query)
    try:
        if kind == "name":
            return (await api.participants(query) if len(query) >= 2 else []), None
        return await api.lookup_participants(**{kind: query}), None
    except UpstreamError as error:
        if error.status in (502, 503, 504):
            return [], error.service
        raise


@router.get("/participants")
async def participants_page(request: Request, session: Officer, q: str = "") -> Response:
    # A NIK or phone in the address bar (a pasted link) is searched, but not shown back.
    found, failed = await _find(request, session, q) if q.strip() else ([], None)
    shown_q = q if search_kind(q) == "name" else ""
    return render(
        request, "participants.html", session, q=shown_q, searched=bool(q.strip()), found=found, failed=failed
    )


@router.post("/participants/search")
async def participants_search(
    request: Request, session: Officer, csrf: Annotated[str, Form()] = "", q: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(session, csrf)
    found, failed = await _find(request, session, q)
    template = "_participant_results.html" if request.headers.get("HX-Request") else "participants.html"
    shown_q = q if search_kind(q) == "name" else ""
    return render(request, template, session, q=shown_q, searched=bool(q.strip()), found=found, failed=failed)


@router.get("/participants/{participant_id}")
async def participant_page(request: Request, session: Officer, participant_id: str) -> Response:
    api = upstream(request, session)
    participant, claims = await asyncio.gather(
        api.participant(participant_id), api.claims(participant_id=participant_id)
    )
    return render(request, "participant.html", session, p=participant, claims=claims)

"""Officers' and supervisors' pages: file a claim, the review queue, a claim's page, a
participant's coverage. Every action goes to the owning service's API with the signed-in
person's token; the console only shows what the services answer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from services.console import handlers, i18n
from services.console.pages import language, page_router, redirect, render
from services.console.session import Session, check_csrf, page_session
from services.console.upstream import Upstream, UpstreamError

router = page_router()
Officer = Annotated[Session, Depends(page_session("officer", "supervisor"))]
Supervisor = Annotated[Session, Depends(page_session("supervisor"))]

CLAIM_TYPES = ("JKM", "JKK_DEATH", "JKK")
# The checklist as claims names its kinds (services/claims/domain/documents.py), in its
# order, with the claim types each is usually asked for — a hint for the officer; claims
# decides what is required and says what is missing.
DOCUMENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("participant_card", ("JKM", "JKK", "JKK_DEATH")), ("ktp", ("JKK",)),
    ("ktp_deceased", ("JKM", "JKK_DEATH")), ("ktp_heir", ("JKM", "JKK_DEATH")),
    ("family_card", ("JKM", "JKK_DEATH")), ("death_certificate", ("JKM", "JKK_DEATH")),
    ("heir_statement", ("JKM", "JKK_DEATH")), ("marriage_book", ("JKM", "JKK_DEATH")),
    ("accident_chronology", ("JKK", "JKK_DEATH")), ("witness_ktp_1", ("JKK", "JKK_DEATH")),
    ("witness_ktp_2", ("JKK", "JKK_DEATH")), ("medical_report", ("JKK", "JKK_DEATH")),
    ("medical_receipts", ("JKK",)), ("police_report", ("JKK", "JKK_DEATH")),
    ("bank_account", ("JKM", "JKK", "JKK_DEATH")), ("npwp", ()),
)
# Kinds whose number is a NIK (a KTP's number is its holder's NIK): typed into a masked
# field, so the page never shows a full NIK, even the one being typed.
NIK_DOCUMENTS = frozenset({"ktp", "ktp_deceased", "ktp_heir", "witness_ktp_1", "witness_ktp_2"})


def upstream(request: Request, session: Session) -> Upstream:
    return Upstream(request.app.state.runtime.settings, session.token)


# --- filing ---------------------------------------------------------------------------------------------

def _blank_form() -> dict[str, Any]:
    return {"participant_id": "", "claim_type": "JKM", "incident_date": "", "incident_place": "", "cause": "",
            "traffic_accident": False, "reporter_name": "", "reporter_phone": "", "reporter_organisation": "",
            "documents": {}, "incapacity_days": "", "disability_percent": ""}


async def _candidates(request: Request, session: Session, q: str) -> list[dict[str, Any]]:
    if len(q.strip()) < 2:
        return []
    return await upstream(request, session).claimable_participants(q.strip())


@router.get("/claims/new")
async def file_form(request: Request, session: Officer, q: str = "", participant_id: str = "") -> Response:
    form = _blank_form() | {"participant_id": participant_id}
    found = await _candidates(request, session, q)
    return render(request, "claim_new.html", session, form=form, q=q, found=found, errors={}, banner=None,
                  documents=DOCUMENTS, nik_documents=NIK_DOCUMENTS, claim_types=CLAIM_TYPES)


@router.get("/claims/new/participants")
async def participant_options(request: Request, session: Officer, q: str = "", participant_id: str = "") -> Response:
    return render(request, "_participant_options.html", session, found=await _candidates(request, session, q),
                  q=q, form={"participant_id": participant_id})


def _int_or_text(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


def claim_body(form: dict[str, Any]) -> dict[str, Any]:
    """The claims API's body from the form's fields; empty optional fields are left out so
    the service judges what is missing, not the console."""
    reporter = {"name": form["reporter_name"].strip(), "phone": form["reporter_phone"].strip() or None,
                "organisation": form["reporter_organisation"].strip() or None}
    body: dict[str, Any] = {
        "participant_id": form["participant_id"], "claim_type": form["claim_type"],
        "incident_date": form["incident_date"] or None, "incident_place": form["incident_place"],
        "cause": form["cause"], "traffic_accident": form["traffic_accident"], "reporter": reporter,
        "documents": dict(form["documents"]),
    }
    for name in ("incapacity_days", "disability_percent"):
        value = _int_or_text(form[name])
        if value is not None:
            body[name] = value
    return body


def read_form(fields: Any) -> dict[str, Any]:
    form = _blank_form()
    for name in ("participant_id", "claim_type", "incident_date", "incident_place", "cause", "reporter_name",
                 "reporter_phone", "reporter_organisation", "incapacity_days", "disability_percent"):
        form[name] = str(fields.get(name) or "")
    form["traffic_accident"] = fields.get("traffic_accident") == "on"
    form["documents"] = {kind: str(fields.get(f"docnum_{kind}") or "").strip()
                         for kind, _types in DOCUMENTS if fields.get(f"doc_{kind}") == "on"}
    return form


def field_messages(error: UpstreamError, lang: str) -> dict[str, str]:
    """Each field's error in the page's language. A rule the table does not know yet is
    said in general words, with the service's own detail (never a NIK) after it, less its code."""
    t = i18n.translator(lang)
    messages = error.field_errors()
    for field, code in error.codes().items():
        if code == "missing" or code.endswith("_required"):
            messages[field] = t("err_required")
        elif code.startswith("date_"):  # pydantic's date parsing (date_type, date_from_datetime_parsing, …)
            messages[field] = t("err_date_invalid")
        elif code == "documents_incomplete":
            # claims lists the missing kinds after the last colon, in checklist order
            kinds = [k.strip() for k in messages[field].rsplit(":", 1)[-1].split(",") if k.strip()]
            docs = ", ".join(t(f"doc_{k}") if f"doc_{k}" in i18n.TEXT else k for k in kinds)
            messages[field] = t("err_documents_incomplete", docs=docs)
        elif f"err_{code}" in i18n.TEXT:
            messages[field] = t(f"err_{code}")
        else:
            detail = messages[field].split(": ", 1)[-1] if messages[field].startswith(f"{code}:") else messages[field]
            messages[field] = f"{t('err_not_understood')} ({detail})"
    return messages


@router.post("/claims/new")
async def file_claim(request: Request, session: Officer) -> Response:
    fields = await request.form()
    check_csrf(session, str(fields.get("csrf") or ""))
    form = read_form(fields)
    lang = language(request)
    t = i18n.translator(lang)
    try:
        filed = await upstream(request, session).file_claim(claim_body(form))
    except UpstreamError as error:
        if error.status == 422:
            errors, banner = field_messages(error, lang), t("form_has_errors")
        elif error.status == 409 and isinstance(error.detail, dict):
            errors, banner = {}, t("already_claimed", id=error.detail.get("existing_id"))
        else:
            raise
        found = await _candidates(request, session, str(fields.get("q") or ""))
        return render(request, "claim_new.html", session, 422 if error.status == 422 else 409, form=form,
                      q=str(fields.get("q") or ""), found=found, errors=errors, banner=banner,
                      existing=error.detail.get("existing_id") if isinstance(error.detail, dict) else None,
                      documents=DOCUMENTS, nik_documents=NIK_DOCUMENTS, claim_types=CLAIM_TYPES)
    return redirect(f"/claims/{filed['claim_id']}", t("filed_flash", id=filed["claim_id"]))


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
    async with request.app.state.runtime.pool.acquire() as conn:
        trace = await handlers.trace(conn, claim_id)
    live = claim["status"] != "rejected" and (claim["disbursement"]["status"] != "paid"
                                              or any(m["status"] == "pending" for m in messages))
    return {"claim": claim, "messages": messages, "heirs": heirs, "participant": participant,
            "steps": trace.claims.get(claim_id, []), "live": live}


@router.get("/claims/{claim_id}")
async def claim_page(request: Request, session: Officer, claim_id: str) -> Response:
    return render(request, "claim.html", session, **await _claim_context(request, session, claim_id))


@router.get("/claims/{claim_id}/live")
async def claim_live(request: Request, session: Officer, claim_id: str) -> Response:
    return render(request, "_claim_live.html", session, **await _claim_context(request, session, claim_id))


# --- review queue --------------------------------------------------------------------------------------------

async def _queue(request: Request, session: Session, errors: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    waiting = await upstream(request, session).claims(status="needs_review")
    # Fraud controls: how many of those waiting were referred by a random draw or their size.
    sampled = sum(1 for c in waiting if c.get("sampled"))
    return render(request, "review.html", session, status_code, claims=waiting, sampled=sampled,
                  errors=errors or {})


@router.get("/review")
async def review_queue(request: Request, session: Officer) -> Response:
    return await _queue(request, session)


@router.post("/review/{claim_id}/decision")
async def decide(request: Request, session: Supervisor, claim_id: str, csrf: Annotated[str, Form()] = "",
                 decision: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    check_csrf(session, csrf)
    t = i18n.translator(language(request))
    try:
        decided = await upstream(request, session).decide(claim_id, decision, reason)
    except UpstreamError as error:
        if error.status == 403 and isinstance(error.detail, dict):
            # Claims refused this person (four eyes): say why beside the claim.
            refusal = error.detail.get("type", "")
            message = t(f"err_{refusal}") if f"err_{refusal}" in i18n.TEXT else str(error.detail.get("msg", ""))
            return await _queue(request, session, {claim_id: message}, 403)
        if error.status != 422:
            raise
        messages = field_messages(error, language(request))
        return await _queue(request, session, {claim_id: "; ".join(messages.values())}, 422)
    return redirect(f"/claims/{claim_id}", t("decided_flash", id=claim_id, status=t(f"status_{decided['status']}")))


# --- participants ----------------------------------------------------------------------------------------------

@router.get("/participants")
async def participants_page(request: Request, session: Officer, q: str = "") -> Response:
    found = await upstream(request, session).participants(q.strip()) if len(q.strip()) >= 2 else []
    return render(request, "participants.html", session, q=q, found=found)


@router.get("/participants/{participant_id}")
async def participant_page(request: Request, session: Officer, participant_id: str) -> Response:
    api = upstream(request, session)
    participant, claims = await asyncio.gather(api.participant(participant_id),
                                               api.claims(participant_id=participant_id))
    return render(request, "participant.html", session, p=participant, claims=claims)

"""Filing a claim: the form, claims' checklist for it, claims' dry run naming every error at
once, a summary to confirm, then the filing. The rules stay in claims; the console checks
nothing but what the form is made of."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from services.console import i18n
from services.console.pages import language, page_router, redirect, render, words
from services.console.session import Session, check_csrf, page_session
from services.console.upstream import Upstream, UpstreamError
from shared.privacy import mask_nik

router = page_router()
Officer = Annotated[Session, Depends(page_session("officer", "supervisor"))]

CLAIM_TYPES = ("JKM", "JKK_DEATH", "JKK")
# Kinds whose number is a NIK (a KTP's number is its holder's NIK; a KK's is as sensitive):
# shown while typed, so a typo can be seen, but never sent back by the server: the browser
# keeps what was typed (the form goes by htmx and only the errors and the summary come
# back), and the summary shows them masked.
NIK_DOCUMENTS = frozenset({"ktp", "ktp_deceased", "ktp_heir", "witness_ktp_1", "witness_ktp_2", "family_card"})
# Where claims' errors land, each with a slot next to its field (aria-describedby).
FIELDS = (
    "participant_id",
    "claim_type",
    "incident_date",
    "incident_place",
    "cause",
    "incapacity_days",
    "disability_percent",
    "reporter",
    "reporter.name",
    "reporter.phone",
    "documents",
)


def word_for(lang: str, prefix: str, value: str) -> str:
    return words(lang)["tr"](prefix, value)


def error_id(field: str) -> str:
    return "err-" + field.replace(".", "-")


def upstream(request: Request, session: Session) -> Upstream:
    return Upstream(request.app.state.runtime.settings, session.token)


# --- filing ---------------------------------------------------------------------------------------------


def _blank_form() -> dict[str, Any]:
    return {
        "participant_id": "",
        "claim_type": "JKM",
        "incident_date": "",
        "incident_place": "",
        "cause": "",
        "traffic_accident": False,
        "reporter_name": "",
        "reporter_phone": "",
        "reporter_organisation": "",
        "documents": {},
        "incapacity_days": "",
        "disability_percent": "",
        # The form's Idempotency-Key, made when the form is first shown and sent with every submit
        # of it: a confirm sent again (a double click, a retry after no answer) gets the claim the
        # first made (docs/api-errors.md).
        "filing_key": f"console-{uuid.uuid4()}",
    }


async def _candidates(request: Request, session: Session, q: str) -> list[dict[str, Any]]:
    if len(q.strip()) < 2:
        return []
    return await upstream(request, session).claimable_participants(q.strip())


async def checklist_rows(api: Upstream) -> tuple[list[dict[str, Any]], bool]:
    """The checklist's rows as claims publishes them: each kind with the claim types that
    need it, and the condition that adds it for a type. When claims cannot be asked, every
    kind is shown (False), and claims still says what is missing when the claim is filed."""
    try:
        published = await api.checklist()
    except UpstreamError:
        return [{"kind": kind, "types": list(CLAIM_TYPES), "when": {}} for kind in ALL_KINDS], False
    rows = []
    for kind in published["kinds"]:
        types, when = [], {}
        for claim_type, needs in published["claim_types"].items():
            if kind in needs["required"]:
                types.append(claim_type)
            for extra in needs["conditional"]:
                if extra["kind"] == kind:
                    types.append(claim_type)
                    when[claim_type] = extra["when"]
        if types:
            rows.append({"kind": kind, "types": types, "when": when})
    return rows, True


# Every kind claims knows, for when its checklist cannot be had (the order claims lists them in).
ALL_KINDS = (
    "participant_card",
    "ktp",
    "ktp_deceased",
    "ktp_heir",
    "family_card",
    "death_certificate",
    "heir_statement",
    "marriage_book",
    "accident_chronology",
    "witness_ktp_1",
    "witness_ktp_2",
    "medical_report",
    "medical_receipts",
    "police_report",
    "bank_account",
    "npwp",
)


async def _form_page(
    request: Request, session: Session, form: dict[str, Any], q: str, status_code: int = 200, **context: Any
) -> Response:
    api = upstream(request, session)
    rows, published = await checklist_rows(api)
    found = await _candidates(request, session, q) if q else []
    context = {"errors": {}, "banner": None, "summary": None, "existing": None} | context
    return render(
        request,
        "claim_new.html",
        session,
        status_code,
        form=form,
        q=q,
        found=found,
        rows=rows,
        published=published,
        nik_documents=NIK_DOCUMENTS,
        claim_types=CLAIM_TYPES,
        fields=FIELDS,
        error_id=error_id,
        **context,
    )


@router.get("/claims/new")
async def file_form(request: Request, session: Officer, q: str = "", participant_id: str = "") -> Response:
    return await _form_page(request, session, _blank_form() | {"participant_id": participant_id}, q)


@router.get("/claims/new/participants")
async def participant_options(request: Request, session: Officer, q: str = "", participant_id: str = "") -> Response:
    try:
        found, failed = await _candidates(request, session, q), None
    except UpstreamError as error:
        found, failed = [], error.service
    return render(
        request,
        "_participant_options.html",
        session,
        found=found,
        failed=failed,
        q=q,
        form={"participant_id": participant_id},
    )


def _int_or_text(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


def claim_body(form: dict[str, Any]) -> dict[str, Any]:
    """The claims API's body from the form's fields; empty optional fields are left out so
    the service judges what is missing, not the console."""
    reporter = {
        "name": form["reporter_name"].strip(),
        "phone": form["reporter_phone"].strip() or None,
        "organisation": form["reporter_organisation"].strip() or None,
    }
    body: dict[str, Any] = {
        "participant_id": form["participant_id"],
        "claim_type": form["claim_type"],
        "incident_date": form["incident_date"] or None,
        "incident_place": form["incident_place"],
        "cause": form["cause"],
        "traffic_accident": form["traffic_accident"],
        "reporter": reporter,
        "documents": dict(form["documents"]),
    }
    for name in ("incapacity_days", "disability_percent"):
        value = _int_or_text(form[name])
        if value is not None:
            body[name] = value
    return body


def read_form(fields: Any, kinds_of_type: Any = None) -> dict[str, Any]:
    """The form as typed. `kinds_of_type` (claim type -> kinds its checklist shows) keeps a
    document ticked under another claim type, now hidden, out of the filing."""
    form = _blank_form()
    for name in (
        "participant_id",
        "claim_type",
        "incident_date",
        "incident_place",
        "cause",
        "reporter_name",
        "reporter_phone",
        "reporter_organisation",
        "incapacity_days",
        "disability_percent",
    ):
        form[name] = str(fields.get(name) or "")
    form["filing_key"] = str(fields.get("filing_key") or "") or form["filing_key"]
    form["traffic_accident"] = fields.get("traffic_accident") == "on"
    shown = kinds_of_type.get(form["claim_type"], ALL_KINDS) if kinds_of_type else ALL_KINDS
    form["documents"] = {
        kind: str(fields.get(f"docnum_{kind}") or "").strip()
        for kind in ALL_KINDS
        if kind in shown and fields.get(f"doc_{kind}") == "on"
    }
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


def summary_of(form: dict[str, Any], checked: dict[str, Any]) -> dict[str, Any]:
    """What the officer confirms before filing: the form as claims will read it, KTP and KK
    numbers masked, and whether the participant was covered on the incident date."""
    return {
        "participant_name": checked.get("participant_name") or form["participant_id"],
        "covered": checked.get("covered_on_incident_date", True),
        "last_protected_day_before": checked.get("last_protected_day_before"),
        "documents": [
            (kind, mask_nik(number) if kind in NIK_DOCUMENTS and number else number)
            for kind, number in form["documents"].items()
        ],
    }


async def _refusal(
    request: Request, session: Session, error: UpstreamError, form: dict[str, Any], fields: Any, kinds: list[str]
) -> Response:
    """Claims refused or did not answer: the errors next to their fields, or which service to
    wait for; what was typed stays in the browser (htmx) or on the page."""
    t = i18n.translator(language(request))
    existing = None
    if error.status == 422:
        errors, banner = field_messages(error, language(request)), t("form_has_errors")
    elif error.status == 409 and isinstance(error.detail, dict):
        existing = error.detail.get("existing_id")
        errors, banner = {}, t("already_claimed", id=existing)
    elif error.status in (502, 503, 504):
        errors, banner = {}, t("service_down_form_kept", service=word_for(language(request), "service_", error.service))
    else:
        raise error
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx answers: the refusal is the answer's content, not its status.
        return render(
            request,
            "_filing_feedback.html",
            session,
            errors=errors,
            banner=banner,
            existing=existing,
            summary=None,
            fields=FIELDS,
            error_id=error_id,
            documents=kinds,
        )
    # Without htmx the page comes back whole: KTP and KK numbers are not sent back (no full
    # NIK on a page), the officer types them again.
    kept = form | {"documents": {k: ("" if k in NIK_DOCUMENTS else n) for k, n in form["documents"].items()}}
    return await _form_page(
        request,
        session,
        kept,
        str(fields.get("q") or ""),
        422 if error.status == 422 else 409 if error.status == 409 else 503,
        errors=errors,
        banner=banner,
        existing=existing,
    )


async def _filing_request(request: Request, session: Session) -> tuple[Any, dict[str, Any], list[str]]:
    """The form's fields, the form as claims will read it, and the kinds the page shows."""
    fields = await request.form()
    check_csrf(session, str(fields.get("csrf") or ""))
    rows, published = await checklist_rows(upstream(request, session))
    kinds_of_type = {ct: {r["kind"] for r in rows if ct in r["types"]} for ct in CLAIM_TYPES} if published else None
    # The rows the page shows are those it sent (claims' checklist may have changed, or be unreachable now).
    return fields, read_form(fields, kinds_of_type), [k for k in ALL_KINDS if f"docnum_{k}" in fields]


@router.post("/claims/new/check")
async def check_claim(request: Request, session: Officer) -> Response:
    """First submit: claims checks the filing without recording it; every error comes back at
    once, or a summary to confirm (with a warning when coverage was not active that day)."""
    fields, form, kinds = await _filing_request(request, session)
    try:
        checked = await upstream(request, session).check_claim(claim_body(form))
    except UpstreamError as error:
        return await _refusal(request, session, error, form, fields, kinds)
    summary = summary_of(form, checked)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "_filing_feedback.html",
            session,
            errors={},
            banner=None,
            existing=None,
            summary=summary,
            form=form,
            fields=FIELDS,
            error_id=error_id,
            documents=kinds,
        )
    kept = form | {"documents": {k: ("" if k in NIK_DOCUMENTS else n) for k, n in form["documents"].items()}}
    return await _form_page(request, session, kept, str(fields.get("q") or ""), summary=summary)


@router.post("/claims/new")
async def file_claim(request: Request, session: Officer) -> Response:
    fields, form, kinds = await _filing_request(request, session)
    t = i18n.translator(language(request))
    try:
        filed = await upstream(request, session).file_claim(claim_body(form), form["filing_key"])
    except UpstreamError as error:
        return await _refusal(request, session, error, form, fields, kinds)
    target = redirect(f"/claims/{filed['claim_id']}", t("filed_flash", id=filed["claim_id"]))
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target.headers["location"]})
    return target

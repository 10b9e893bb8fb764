""" "Lacak Klaim": the public pages (no officer token), server-rendered, mobile-first,
Bahasa Indonesia by default, working without JavaScript. Claim number + a phone recorded
on it → a one-time code by WhatsApp/SMS → the claim's status for that person, and a form
to file a grievance.

Every answer to a code request is the same page whether or not the claim exists or the
phone is on it; a wrong code, a lock and a limit look the same for any claim number."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.grievances import lookups
from services.grievances import repository as repo
from services.grievances.domain import words
from services.grievances.domain.lookup import CodeCheck, clean_claim_number, normalize_phone
from services.grievances.handlers import Filing, file_grievance
from services.grievances.lookups import RateLimited
from shared.clock import today
from shared.contracts.grievances import GRIEVANCE_CATEGORIES
from shared.errors import RuleViolation
from shared.service import Runtime, get_runtime

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
Rt = Annotated[Runtime, Depends(get_runtime)]
LANGUAGES = ("id", "en")


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


templates.env.filters.update(rupiah=rupiah)


def lookup_secret(rt: Runtime) -> str:
    settings = rt.settings
    if settings.lookup_secret:
        return settings.lookup_secret
    # Derived, so the local stack needs no extra secret; a separate key in production.
    return hmac.new(settings.infra.jaring_auth_secret.encode(), b"grievances-lookup", hashlib.sha256).hexdigest()


def client_address(request: Request, rt: Runtime) -> str:
    forwarded = request.headers.get("x-forwarded-for")
    if rt.settings.trust_forwarded_for and forwarded:
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def page(request: Request, template: str, lang: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = lang if lang in LANGUAGES else "id"

    def t(key: str, **values: Any) -> str:
        text = words.PAGE[key][lang]
        return text.format(**values) if values else text

    def word(table: str, code: str) -> str:
        found = getattr(words, table).get(code)
        if found is None:
            return code if table == "DOCUMENT_WORDS" else words.STATUS_FALLBACK[lang]
        return found[lang]

    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "other": "en" if lang == "id" else "id",
            "t": t,
            "word": word,
            "categories": GRIEVANCE_CATEGORIES,
            **context,
        },
        status_code=status_code,
    )
    # Answers are about one family: never cached by a shared proxy, never framed by another site.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/", response_class=HTMLResponse)
@router.get("/lacak", response_class=HTMLResponse)
async def start(request: Request, lang: str = "id") -> HTMLResponse:
    return page(request, "lacak.html", lang)


@router.post("/lacak/kode", response_class=HTMLResponse)
async def send_code(
    request: Request,
    rt: Rt,
    claim_number: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "id",
) -> HTMLResponse:
    claim = clean_claim_number(claim_number)
    number = normalize_phone(phone)
    if claim is None or number is None:
        return page(request, "lacak.html", lang, 422, error="invalid_input", claim_number=claim_number[:40])
    try:
        async with rt.pool.acquire() as conn, conn.transaction():
            lookup_id = await lookups.request_code(
                conn, claim, number, client_address(request, rt), _now(), rt.settings, lookup_secret(rt)
            )
    except RateLimited:
        return page(request, "lacak.html", lang, 429, error="too_many")
    return page(request, "kode.html", lang, lookup_id=lookup_id)


@router.post("/lacak/periksa", response_class=HTMLResponse)
async def check(
    request: Request,
    rt: Rt,
    lookup_id: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "id",
) -> HTMLResponse:
    async with rt.pool.acquire() as conn, conn.transaction():
        outcome, view = await lookups.check_code(conn, lookup_id[:64], code[:12], _now(), lookup_secret(rt))
    if outcome is CodeCheck.OK and view is not None:
        return page(request, "status.html", lang, view=view, lookup_id=lookup_id)
    if outcome is CodeCheck.WRONG:
        return page(request, "kode.html", lang, 422, lookup_id=lookup_id, error="wrong_code")
    key = "locked" if outcome is CodeCheck.LOCKED else "expired"
    return page(request, "lacak.html", lang, 429 if key == "locked" else 422, error=key)


@router.post("/lacak/aduan", response_class=HTMLResponse)
async def complain(
    request: Request,
    rt: Rt,
    lookup_id: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "id",
) -> HTMLResponse:
    async with rt.pool.acquire() as conn, conn.transaction():
        found = await lookups.verified_contact(conn, lookup_id[:64], _now())
        if found is None:
            return page(request, "lacak.html", lang, 403, error="session_over")
        claim_id, contact = found
        contact = contact.model_copy(update={"language": lang if lang in LANGUAGES else "id"})
        filing = Filing(
            category=category, text=text, channel="web", filed_by="family", claim_id=claim_id, contact=contact
        )
        try:
            grievance_id = await file_grievance(conn, filing, rt.settings, today())
        except RuleViolation:
            return page(
                request,
                "aduan.html",
                lang,
                422,
                lookup_id=lookup_id,
                error="complaint_invalid",
                text=text[:2000],
                category=category,
            )
        item = await repo.load_grievance(conn, grievance_id)
    return page(request, "aduan.html", lang, 201, filed=item)

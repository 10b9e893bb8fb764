"""Server-rendered pages (Jinja2), refreshed in place by htmx where they watch something.

Every page route goes through PageRoute: a visitor without a session is sent to the
sign-in form, a role that may not see the page gets a refusal page (403), a form
without this session's CSRF token is refused, and a service's error is shown as a page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from services.console import i18n
from services.console.session import LANG_COOKIE, BadCsrf, Refused, Session, SignInNeeded, current_session
from services.console.upstream import UpstreamError

HERE = Path(__file__).resolve().parent.parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters.update(rupiah=i18n.rupiah)


# The prefixes of the word table a value the services name may be found under, tried in turn
# by `word` for values whose kind the page does not know (an event summary's fields).
WORD_PREFIXES = (
    "event_",
    "reason_",
    "status_",
    "short_type_",
    "component_",
    "doc_",
    "channel_",
    "segment_",
    "coverage_",
    "disbursement_",
    "step_transfer_",
    "relationship_",
    "kind_",
)


def words(lang: str) -> dict[str, Callable[..., str]]:
    """The functions every template speaks with: `t` (a text by key), `tr` (a value the
    services name, under a prefix), `word` (a value of unknown kind), `brief` (an event's summary)."""
    t = i18n.translator(lang)

    def tr(prefix: str, value: object) -> str:
        # its wording where the table has one, else the value itself
        return t(f"{prefix}{value}") if f"{prefix}{value}" in i18n.TEXT else str(value)

    def word(value: object) -> str:
        for prefix in WORD_PREFIXES:
            if f"{prefix}{value}" in i18n.TEXT:
                return t(f"{prefix}{value}")
        return str(value)

    def brief(summary: dict) -> str:
        """An indexed event's summary as one short line: `status=aktif, paid_months=1`."""
        return ", ".join(
            f"{k}={', '.join(map(word, v)) if isinstance(v, list) else word(v)}"
            for k, v in summary.items()
            if v not in (None, "", [])
        )

    return {"t": t, "tr": tr, "word": word, "brief": brief}


def base_context(
    lang: str, session: Session | None, refresh_seconds: int, path: str, flash: str | None
) -> dict[str, Any]:
    """What every page is rendered with (the unit tests render pages with it too)."""
    return {
        **words(lang),
        "lang": lang,
        "session": session,
        "nav": NAV.get(session.actor.role, []) if session else [],
        "csrf": session.csrf if session else "",
        "refresh_seconds": refresh_seconds,
        "when": lambda v: i18n.instant(v, lang),
        "day": lambda v: i18n.day(v, lang),
        "took": lambda v: i18n.duration(v, lang),
        "num": lambda v, d=0: i18n.number(v, lang, d),
        "path": path,
        "flash": flash,
    }


NAV: dict[str, list[tuple[str, str]]] = {
    "operator": [
        ("/flows", "nav_flows"),
        ("/dlq", "nav_dlq"),
        ("/messages", "nav_messages"),
        ("/trace", "nav_trace"),
        ("/stuck", "nav_stuck"),
        ("/sla", "nav_sla"),
        ("/money", "nav_money"),
    ],
    "supervisor": [
        ("/review", "nav_review"),
        ("/grievances", "nav_grievances"),
        ("/claims/new", "nav_file"),
        ("/claims?mine=1", "nav_my_claims"),
        ("/claims", "nav_all_claims"),
        ("/participants", "nav_participants"),
        ("/proactive", "nav_proactive"),
        ("/sla", "nav_sla"),
        ("/stuck", "nav_stuck"),
        ("/trace", "nav_trace"),
        ("/money", "nav_money"),
        ("/campaign", "nav_campaign"),
    ],
    "officer": [
        ("/review", "nav_review"),
        ("/grievances", "nav_grievances"),
        ("/claims/new", "nav_file"),
        ("/claims?mine=1", "nav_my_claims"),
        ("/claims", "nav_all_claims"),
        ("/participants", "nav_participants"),
        ("/proactive", "nav_proactive"),
        ("/campaign", "nav_campaign"),
    ],
}
HOME = {"operator": "/flows", "supervisor": "/review", "officer": "/review"}


def language(request: Request) -> str:
    return i18n.language_of(request.cookies.get(LANG_COOKIE))


# Scripts and styles only from the console itself (htmx adds a small inline style for its
# indicators); no page may be framed by another site, so no button can be clicked through one.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(
    request: Request, template: str, session: Session | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context = (
        base_context(
            language(request),
            session,
            request.app.state.runtime.settings.refresh_seconds,
            request.url.path,
            request.query_params.get("flash"),
        )
        | context
    )
    return templates.TemplateResponse(request, template, context, status_code=status_code, headers=SECURITY_HEADERS)


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    if flash:
        url += ("&" if "?" in url else "?") + "flash=" + quote(flash)
    return RedirectResponse(url, status_code=303)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInNeeded:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.headers.get("HX-Request"):
                    # A panel's refresh (a fragment): back to the page it sits on, not the fragment.
                    target = page_of(request) or HOME_PAGE
                    # htmx would swap the sign-in page into a panel: send the whole window there.
                    return Response(status_code=204, headers={"HX-Redirect": f"/signin?next={quote(target)}"})
                return redirect(f"/signin?next={quote(target)}")
            except Refused as refused:
                t = i18n.translator(language(request))
                return render(
                    request,
                    "message.html",
                    await current_session(request),
                    403,
                    title=t("refused_title"),
                    message=t("refused_text", role=refused.role, allowed=", ".join(refused.allowed)),
                )
            except BadCsrf:
                t = i18n.translator(language(request))
                return render(
                    request,
                    "message.html",
                    await current_session(request),
                    403,
                    title=t("refused_title"),
                    message=t("csrf_text"),
                )
            except UpstreamError as exc:
                t = i18n.translator(language(request))
                detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
                return render(
                    request,
                    "message.html",
                    await current_session(request),
                    exc.status if exc.status in (403, 404) else 502,
                    title=exc.service,
                    message=t("upstream_error", service=exc.service, status=exc.status, detail=detail),
                )

        return page


HOME_PAGE = "/"


def page_of(request: Request) -> str | None:
    """The page an htmx request was made from (HX-Current-URL), as a path on this console."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.netloc and current.netloc != request.url.netloc:
        return None
    if not current.path.startswith("/") or current.path.startswith("//"):
        return None
    return current.path + (f"?{current.query}" if current.query else "")


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse)


def static_files() -> APIRouter:
    """The console serves its own static files (htmx, the style sheet); only files that are
    there, by name, never a path."""
    router = APIRouter(include_in_schema=False)
    served = {path.name: path for path in STATIC.iterdir() if path.is_file()}

    @router.get("/static/{name}")
    async def static(name: str) -> FileResponse:
        if name not in served:
            raise HTTPException(404, "no such file")
        return FileResponse(served[name], headers={"Cache-Control": "public, max-age=3600"})

    return router

"""Sign-in (through the identity provider; by pasted token only in the local demo), sign-out,
the language switch and the home page (which sends each role to its work)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

import httpx
import jwt
from fastapi import Form, Request
from fastapi.responses import Response

from services.console import i18n, oidc
from services.console.pages import HOME, language, page_router, redirect, render
from services.console.session import (
    LANG_COOKIE,
    OIDC_STATE_COOKIE,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    check_csrf,
    cookie_args,
    current_session,
    end_session,
    session_max_age,
    start_session,
)

router = page_router()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this console: never another site (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
async def home(request: Request) -> Response:
    session = await current_session(request)
    return redirect(HOME[session.actor.role] if session else "/signin")


def _signin_page(request: Request, next_path: str, error: str | None = None, status_code: int = 200) -> Response:
    """The sign-in page: the identity provider's button, and the token form where the local demo allows it."""
    settings = request.app.state.runtime.settings
    nonce = secrets.token_urlsafe(24)
    answer = render(
        request,
        "signin.html",
        None,
        status_code,
        next=next_path,
        nonce=nonce,
        error=error,
        idp=bool(settings.oidc_issuer),
        paste=settings.allow_pasted_token,
    )
    if settings.allow_pasted_token:
        answer.set_cookie(SIGNIN_COOKIE, nonce, max_age=1800, **cookie_args(request))
    return answer


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None) -> Response:
    return _signin_page(request, _safe_next(next) or "")


@router.get("/signin/oidc")
async def signin_at_provider(request: Request, next: str | None = None) -> Response:
    """Starts a sign-in at the identity provider (oidc.py) and sends the browser there."""
    idp = oidc.provider(request)
    if idp is None:
        return _signin_page(request, _safe_next(next) or "", i18n.translator(language(request))("signin_no_idp"), 404)
    attempt = oidc.new_attempt(_safe_next(next) or "")
    try:
        config = await idp.config()
    except (httpx.HTTPError, oidc.SignInFailed):
        t = i18n.translator(language(request))
        return _signin_page(request, attempt.next_path, t("signin_idp_down"), 503)
    await oidc.remember(request, attempt)
    answer = redirect(
        oidc.authorization_url(
            config["authorization_endpoint"],
            idp.client_id,
            f"{oidc.public_url(request)}/signin/callback",
            attempt,
            language(request),
        )
    )
    answer.set_cookie(
        OIDC_STATE_COOKIE,
        attempt.state,
        max_age=oidc.ATTEMPT_MINUTES * 60,
        **{**cookie_args(request), "samesite": "lax"},
    )
    return answer


@router.get("/signin/callback")
async def signin_callback(
    request: Request, state: str | None = None, code: str | None = None, error: str | None = None
) -> Response:
    """Where the identity provider sends the browser back: the code becomes a console session."""
    t = i18n.translator(language(request))
    idp = oidc.provider(request)
    if idp is None:
        return _signin_page(request, "", t("signin_no_idp"), 404)
    try:
        attempt = await oidc.take(request, oidc.check_state(state, request.cookies.get(OIDC_STATE_COOKIE)))
        if error or not code:  # the person cancelled, or the provider refused
            raise oidc.SignInFailed("signin_failed", error or "no code")
        tokens = await idp.redeem(code, attempt, f"{oidc.public_url(request)}/signin/callback")
        await idp.check_id_token(tokens["id_token"], attempt.nonce)
        try:
            session_id, session = await start_session(request, tokens["access_token"], tokens["id_token"])
        except jwt.PyJWTError as exc:  # e.g. a person with none of the three roles
            raise oidc.SignInFailed("signin_no_role", str(exc)) from exc
    except httpx.HTTPError:
        answer = _signin_page(request, "", t("signin_idp_down"), 503)
        answer.delete_cookie(OIDC_STATE_COOKIE, path="/")
        return answer
    except oidc.SignInFailed as failed:
        answer = _signin_page(request, "", t(failed.reason), 401)
        answer.delete_cookie(OIDC_STATE_COOKIE, path="/")
        return answer
    # Back from another site, a SameSite=Strict cookie set now would not go with a redirect's next
    # request; a page of this console that moves on by itself starts a same-site navigation.
    target = attempt.next_path or HOME[session.actor.role]
    answer = render(
        request, "continue.html", None, title=t("signin_title"), message=t("signin_continue"), target=target
    )
    answer.set_cookie(SESSION_COOKIE, session_id, max_age=session_max_age(session), **cookie_args(request))
    answer.delete_cookie(OIDC_STATE_COOKIE, path="/")
    return answer


@router.post("/signin")
async def signin(
    request: Request,
    token: Annotated[str, Form()],
    nonce: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """The local demo's sign-in by pasted token; refused where the setting does not allow it."""
    t = i18n.translator(language(request))
    if not request.app.state.runtime.settings.allow_pasted_token:
        return _signin_page(request, _safe_next(next) or "", t("signin_paste_off"), 403)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, nonce):
        error = t("signin_bad_form")
    else:
        try:
            session_id, session = await start_session(request, token.strip())
        except jwt.PyJWTError:
            error = t("signin_bad_token")
        else:
            answer = redirect(_safe_next(next) or HOME[session.actor.role])
            answer.set_cookie(SESSION_COOKIE, session_id, max_age=session_max_age(session), **cookie_args(request))
            answer.delete_cookie(SIGNIN_COOKIE, path="/")
            return answer
    return _signin_page(request, _safe_next(next) or "", error, 401)


@router.post("/signout")
async def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Ends the console's session and, for one signed in through the identity provider, the
    provider's too (RP-initiated logout; it sends the browser back to the sign-in page)."""
    session = await current_session(request)
    target = "/signin"
    if session is not None:
        check_csrf(session, csrf)
        await end_session(request)
        idp = oidc.provider(request)
        try:
            endpoint = await idp.end_session_endpoint() if idp is not None and session.id_token else None
        except (httpx.HTTPError, oidc.SignInFailed):
            endpoint = None  # the provider is unreachable: its session ends when it expires
        if endpoint:
            target = oidc.end_session_url(
                endpoint, idp.client_id, session.id_token, f"{oidc.public_url(request)}/signin"
            )
    if target == "/signin":
        answer = redirect(target)
    else:
        # A form's redirect to another site would break the page's form-action 'self'; a page
        # that moves on by itself is a plain navigation.
        t = i18n.translator(language(request))
        answer = render(
            request, "continue.html", None, title=t("sign_out"), message=t("signout_continue"), target=target
        )
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    answer = redirect(_safe_next(next) or "/")
    answer.set_cookie(LANG_COOKIE, i18n.language_of(code), max_age=365 * 86_400, samesite="lax", path="/")
    return answer

"""Sign-in, sign-out, the language switch and the home page (which sends each role to its work)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

import jwt
from fastapi import Form, Request
from fastapi.responses import Response

from services.console import i18n
from services.console.pages import HOME, language, page_router, redirect, render
from services.console.session import (
    LANG_COOKIE, SESSION_COOKIE, SIGNIN_COOKIE, check_csrf, cookie_args, current_session, end_session,
    session_max_age, start_session
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


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None) -> Response:
    nonce = secrets.token_urlsafe(24)
    answer = render(request, "signin.html", None, next=_safe_next(next) or "", nonce=nonce, error=None)
    answer.set_cookie(SIGNIN_COOKIE, nonce, max_age=1800, **cookie_args(request))
    return answer


@router.post("/signin")
async def signin(request: Request, token: Annotated[str, Form()], nonce: Annotated[str, Form()] = "",
                 next: Annotated[str, Form()] = "") -> Response:
    t = i18n.translator(language(request))
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    fresh = secrets.token_urlsafe(24)
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
    answer = render(request, "signin.html", None, 401, next=_safe_next(next) or "", nonce=fresh, error=error)
    answer.set_cookie(SIGNIN_COOKIE, fresh, max_age=1800, **cookie_args(request))
    return answer


@router.post("/signout")
async def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    session = await current_session(request)
    if session is not None:
        check_csrf(session, csrf)
        await end_session(request)
    answer = redirect("/signin")
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    answer = redirect(_safe_next(next) or "/")
    answer.set_cookie(LANG_COOKIE, i18n.language_of(code), max_age=365 * 86_400, samesite="lax", path="/")
    return answer

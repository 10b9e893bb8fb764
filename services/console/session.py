"""Who is at the screen: sign-in with a role token, the session cookie, CSRF, role checks.

The person signs in through the identity provider (services/console/oidc.py: Keycloak hands
the console an access token) or, in the local demo only, pastes their role token; either way
the console holds the same kind of JWT every service takes. The console verifies it with
shared.auth's TokenVerifier and keeps it on the server, in its `sessions` table, under a
random session id; the browser's cookie (HttpOnly, SameSite=Strict: no script can read it,
no other site's page can make the browser send it) holds only that id. A stolen cookie is
no bearer token for the services, and signing out deletes the session, so the same cookie
stops working at once. The token is what the console passes on to claims, enrollment and
notifications, so a person can do through the console exactly what their token lets them
do, no more; the session ends when the token expires.

Forms carry a CSRF token, an HMAC of the session id under the console's key, checked
on every POST; SameSite=Strict already keeps other sites' forms out, the token makes the
check not depend on the browser alone. JSON API callers send their token as a bearer
header (no cookie, so no CSRF to fear); a page's script calling the API with the cookie
sends the CSRF token in X-CSRF-Token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.auth import Actor, TokenVerifier

SESSION_COOKIE = "jaring_console"
SIGNIN_COOKIE = "jaring_console_signin"  # CSRF for the sign-in form itself, before any session
# The `state` of a sign-in at the identity provider. SameSite=Lax, not Strict: the browser comes
# back from the provider's site, and a Strict cookie would not come with it.
OIDC_STATE_COOKIE = "jaring_console_oidc"
LANG_COOKIE = "jaring_console_lang"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PROCESS_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class Session:
    actor: Actor
    token: str
    csrf: str
    expires_at: int
    # The identity provider's ID token, for a session signed in through it (sign-out hands it back).
    id_token: str | None = None

    @property
    def display_name(self) -> str:
        """Who is signed in, as the header shows it: the provider's user name where the token has
        one (its `sub` is an opaque id), else the subject."""
        claims = jwt.decode(self.token, options={"verify_signature": False})  # verified when the session began
        return str(claims.get("preferred_username") or self.actor.subject)


class SignInNeeded(Exception):
    """No valid session: the page sends the person to the sign-in form."""


class Refused(Exception):
    """Signed in, but this role may not see or do this."""

    def __init__(self, role: str, allowed: tuple[str, ...]):
        self.role = role
        self.allowed = allowed
        super().__init__(f"role {role!r} may not do this; needs one of {', '.join(allowed)}")


class BadCsrf(Exception):
    """A form came without the CSRF token of this session."""


def csrf_key(request: Request) -> bytes:
    settings = request.app.state.runtime.settings
    if settings.session_secret:
        return settings.session_secret.encode()
    if settings.infra.jaring_auth_secret:
        return hmac.new(settings.infra.jaring_auth_secret.encode(), b"jaring-console-csrf", hashlib.sha256).digest()
    return _PROCESS_KEY


def csrf_for(key: bytes, secret: str) -> str:
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:40]


def _id_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


async def open_session(request: Request, token: str) -> Session:
    """A session for a bearer token sent with the request itself (the JSON API), nothing
    stored; raises jwt.PyJWTError when the token is not good."""
    verifier: TokenVerifier = request.app.state.token_verifier
    # As shared.auth does: a JWKS client may fetch the issuer's keys, which is not for the event loop.
    actor = await run_in_threadpool(verifier.verify, token) if verifier.fetches_keys else verifier.verify(token)
    expires_at = int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    return Session(actor, token, csrf_for(csrf_key(request), token), expires_at)


async def start_session(request: Request, token: str, id_token: str | None = None) -> tuple[str, Session]:
    """Signs a person in: verifies the token (raises jwt.PyJWTError when it is not good) and
    stores it under a new random session id, which goes in the cookie."""
    verified = await open_session(request, token)
    session_id = secrets.token_urlsafe(32)
    async with request.app.state.runtime.pool.acquire() as conn:
        await conn.execute("DELETE FROM sessions WHERE expires_at < now()")  # sessions ended by their token
        await conn.execute(
            "INSERT INTO sessions (id_hash, subject, role, token, expires_at, id_token) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            _id_hash(session_id),
            verified.actor.subject,
            verified.actor.role,
            token,
            datetime.fromtimestamp(verified.expires_at, UTC),
            id_token,
        )
    return session_id, Session(
        verified.actor, token, csrf_for(csrf_key(request), session_id), verified.expires_at, id_token
    )


async def current_session(request: Request) -> Session | None:
    """The session the request's cookie names, if it exists and has not expired."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    row = await request.app.state.runtime.pool.fetchrow(
        "SELECT subject, role, token, expires_at, id_token FROM sessions WHERE id_hash = $1 AND expires_at > now()",
        _id_hash(session_id),
    )
    if row is None:
        return None
    return Session(
        Actor(row["subject"], row["role"]),
        row["token"],
        csrf_for(csrf_key(request), session_id),
        int(row["expires_at"].timestamp()),
        row["id_token"],
    )


async def end_session(request: Request) -> None:
    """Signing out: the session is deleted, so its cookie no longer works anywhere."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await request.app.state.runtime.pool.execute("DELETE FROM sessions WHERE id_hash = $1", _id_hash(session_id))


def cookie_args(request: Request) -> dict:
    return {
        "httponly": True,
        "samesite": "strict",
        "path": "/",
        "secure": bool(request.app.state.runtime.settings.cookie_secure),
    }


def session_max_age(session: Session) -> int:
    return max(session.expires_at - int(time.time()), 0)


def check_csrf(session: Session, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(submitted, session.csrf):
        raise BadCsrf()


# --- pages -------------------------------------------------------------------------------------------


def page_session(*roles: str):
    """Dependency for pages: the session, if its role is one of `roles`."""

    async def dependency(request: Request) -> Session:
        session = await current_session(request)
        if session is None:
            raise SignInNeeded()
        if session.actor.role not in roles:
            raise Refused(session.actor.role, roles)
        return session

    return dependency


# --- JSON API ----------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False)


def api_session(*roles: str):
    """Dependency for the JSON API: a bearer token, or the page's session cookie (then an
    unsafe method needs the X-CSRF-Token header)."""

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Session:
        if credentials is not None:
            try:
                session = await open_session(request, credentials.credentials)
            except jwt.PyJWTError as exc:
                raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
        else:
            found = await current_session(request)
            if found is None:
                raise HTTPException(
                    401, "a bearer token or a console session is required", headers={"WWW-Authenticate": "Bearer"}
                )
            if request.method in UNSAFE_METHODS:
                try:
                    check_csrf(found, request.headers.get("X-CSRF-Token"))
                except BadCsrf:
                    raise HTTPException(403, "missing or wrong X-CSRF-Token") from None
            session = found
        if session.actor.role not in roles:
            raise HTTPException(403, f"role {session.actor.role!r} may not do this; needs one of {', '.join(roles)}")
        return session

    return dependency

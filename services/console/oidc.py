"""Officers' sign-in through an OpenID Connect identity provider (Keycloak in the local stack):
the authorization code flow with PKCE, `state` and `nonce`.

1. /signin/oidc makes an attempt: a random `state` (ties Keycloak's answer to this browser:
   the browser holds it in a cookie, and the callback must bring the same one back), a random
   `nonce` (Keycloak writes it into the ID token: a token minted for another sign-in is
   refused), and a PKCE code verifier whose SHA-256 (the challenge) goes to Keycloak — a code
   stolen on its way back is useless without the verifier, which never leaves the console.
   The console keeps the attempt in its database (signin_attempts) and sends the browser on.
2. Keycloak signs the person in and sends the browser to /signin/callback with a code.
3. The callback takes the attempt out (once: it is deleted as it is read), trades the code
   and the verifier for tokens at the token endpoint (the console authenticates as its
   client), checks the ID token (signature by the issuer's JWKS, issuer, audience = this
   client, nonce) and opens a console session with the access token, which the services
   verify themselves (shared.auth), exactly as a pasted token.

Signing out deletes the console's session and sends the browser to the provider's
end_session_endpoint with the ID token as hint, so Keycloak's own session ends too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import jwt
from fastapi import Request
from starlette.concurrency import run_in_threadpool

# Long enough to type a password and answer a second factor; a state older than this is refused.
ATTEMPT_MINUTES = 10
# RFC 7636 §4.1: a verifier of 43 to 128 characters from the unreserved set; 64 random bytes
# in URL-safe base64 are 86 of them.
VERIFIER_BYTES = 64


class SignInFailed(Exception):
    """The provider's answer does not complete a sign-in; `reason` is an i18n key for the page."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Attempt:
    state: str
    nonce: str
    code_verifier: str
    next_path: str


def new_attempt(next_path: str = "") -> Attempt:
    return Attempt(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(VERIFIER_BYTES),
        next_path=next_path,
    )


def code_challenge(verifier: str) -> str:
    """RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(code_verifier))), without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def state_hash(state: str) -> bytes:
    return hashlib.sha256(state.encode()).digest()


def authorization_url(endpoint: str, client_id: str, redirect_uri: str, attempt: Attempt, locale: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": code_challenge(attempt.code_verifier),
        "code_challenge_method": "S256",
        "ui_locales": locale,
    }
    return f"{endpoint}?{urlencode(query)}"


def check_state(returned: str | None, held_by_browser: str | None) -> str:
    """The state Keycloak sent back, if it is the one this browser started with."""
    if not returned or not held_by_browser or not hmac.compare_digest(returned, held_by_browser):
        raise SignInFailed("signin_bad_form", "state does not match this browser's sign-in")
    return returned


def check_id_token_claims(claims: dict, nonce: str) -> None:
    """What signature, issuer and audience checks leave: that the ID token is this sign-in's."""
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignInFailed("signin_failed", "the ID token's nonce is not this sign-in's")


def end_session_url(endpoint: str, client_id: str, id_token: str, post_logout_redirect_uri: str) -> str:
    query = {"client_id": client_id, "id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri}
    return f"{endpoint}?{urlencode(query)}"


# --- the provider -------------------------------------------------------------------------------------


class Provider:
    """The issuer's endpoints (from its discovery document, fetched once) and keys."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, timeout: float = 10.0):
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout
        self._config: dict | None = None
        self._jwks: jwt.PyJWKClient | None = None

    async def config(self) -> dict:
        if self._config is None:
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                answer = await http.get(f"{self.issuer}/.well-known/openid-configuration")
                answer.raise_for_status()
                config = answer.json()
            if config.get("issuer") != self.issuer:  # OpenID Connect Discovery §4.3
                raise SignInFailed("signin_failed", f"the discovery document names issuer {config.get('issuer')!r}")
            self._config = config
            self._jwks = jwt.PyJWKClient(config["jwks_uri"])
        return self._config

    async def redeem(self, code: str, attempt: Attempt, redirect_uri: str) -> dict:
        """Trades the code (with the PKCE verifier) for tokens; returns the token response."""
        config = await self.config()
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            answer = await http.post(
                config["token_endpoint"],
                auth=(self.client_id, self._client_secret),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": attempt.code_verifier,
                },
            )
        if answer.status_code != 200:
            raise SignInFailed("signin_failed", f"token endpoint answered {answer.status_code}")
        tokens = answer.json()
        if not tokens.get("access_token") or not tokens.get("id_token"):
            raise SignInFailed("signin_failed", "the token response lacks an access or ID token")
        return tokens

    async def check_id_token(self, id_token: str, nonce: str) -> dict:
        await self.config()
        assert self._jwks is not None
        try:
            key = (await run_in_threadpool(self._jwks.get_signing_key_from_jwt, id_token)).key
            claims = jwt.decode(
                id_token,
                key,
                algorithms=["RS256", "ES256"],
                audience=self.client_id,
                issuer=self.issuer,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise SignInFailed("signin_failed", f"ID token: {exc}") from exc
        check_id_token_claims(claims, nonce)
        return claims

    async def end_session_endpoint(self) -> str | None:
        return (await self.config()).get("end_session_endpoint")


def provider(request: Request) -> Provider | None:
    """The console's identity provider, if one is configured (one object per app)."""
    settings = request.app.state.runtime.settings
    if not settings.oidc_issuer:
        return None
    found = getattr(request.app.state, "oidc_provider", None)
    if found is None:
        found = Provider(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret,
            settings.upstream_timeout_seconds,
        )
        request.app.state.oidc_provider = found
    return found


def public_url(request: Request) -> str:
    settings = request.app.state.runtime.settings
    return (settings.public_url or str(request.base_url)).rstrip("/")


# --- attempts, kept by the console ---------------------------------------------------------------------


async def remember(request: Request, attempt: Attempt) -> None:
    async with request.app.state.runtime.pool.acquire() as conn:
        await conn.execute("DELETE FROM signin_attempts WHERE expires_at < now()")
        await conn.execute(
            "INSERT INTO signin_attempts (state_hash, code_verifier, nonce, next_path, expires_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            state_hash(attempt.state),
            attempt.code_verifier,
            attempt.nonce,
            attempt.next_path,
            datetime.now(UTC) + timedelta(minutes=ATTEMPT_MINUTES),
        )


async def take(request: Request, state: str) -> Attempt:
    """The attempt `state` started, deleted as it is read: a state serves one callback."""
    row = await request.app.state.runtime.pool.fetchrow(
        "DELETE FROM signin_attempts WHERE state_hash = $1 RETURNING code_verifier, nonce, next_path, expires_at",
        state_hash(state),
    )
    if row is None or row["expires_at"].timestamp() < time.time():
        raise SignInFailed("signin_bad_form", "no sign-in under way for this state, or it expired")
    return Attempt(state, row["nonce"], row["code_verifier"], row["next_path"])

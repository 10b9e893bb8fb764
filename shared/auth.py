"""Officer authentication: a bearer JWT carrying one role.

Every HTTP endpoint but /health and /metrics requires it. Tokens are signed with an
HS256 key from settings (the local stack generates one), or by an OpenID Connect issuer
(Keycloak, locally) whose keys come from its JWKS URL, or both: the local stack trusts its
own HS256 tokens (scripts, tests, the pasted-token demo) and Keycloak's RS256 ones. The
token's header picks the key source, and each source has its own issuer, so an HS256
token can never be checked against a public key, nor an RS256 one claim the local issuer.

A token is accepted only if it names the issuer and the audience this deployment expects
(a token minted for another system, or by another issuer sharing a key, is refused) and
lives no longer than a working shift: a person's token that leaks is good for hours, not
for a month.

A token verified once is remembered (process-local, a few thousand tokens, least recently used
dropped first), so an officer's next requests skip the signature check: the remembered answer
holds only for that exact token string, never past the token's `exp` (checked at every use,
on the same clock and with no more leeway than verification's, none), and never longer than
RECHECK_SECONDS, after which the signature is checked again (a key the issuer withdraws stops
being trusted as soon as the JWKS client's own key cache forgets it). A refused token is never
remembered: a flood of garbage costs a full check each, and no memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:  # shared.settings imports this module
    from shared.settings import InfraSettings

ROLES = ("officer", "supervisor", "operator")

# The local stack's issuer and audience (deploy/local writes them into every service's
# environment); a deployment sets JARING_AUTH_ISSUER and JARING_AUTH_AUDIENCE to its own.
LOCAL_ISSUER = "jaring-local"
LOCAL_AUDIENCE = "jaring"
# A person's token lives one working shift.
HUMAN_TOKEN_HOURS = 8
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).
MIN_SECRET_BYTES = 32
# Verified tokens remembered: every officer on shift, many times over, in a few megabytes at most.
REMEMBERED_TOKENS = 4096
# How long a verified token is taken on trust before its signature is checked again: PyJWKClient's
# default key-cache lifespan, so remembering a token keeps a withdrawn key no longer than that does.
RECHECK_SECONDS = 300


class WeakSecret(ValueError):
    """The HS256 key is too short to sign anything with."""


def check_secret(secret: str) -> None:
    size = len(secret.encode())
    if size < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"JARING_AUTH_SECRET is {size} bytes; an HS256 key needs at least {MIN_SECRET_BYTES} "
            f"(make one with: openssl rand -hex 32)"
        )


@dataclass(frozen=True)
class Actor:
    subject: str
    role: str


@dataclass(frozen=True)
class _Verified:
    """A token's actor and the instants between which that answer holds without checking again."""

    actor: Actor
    valid_from: float  # the token's iat (or nbf, if later): verification refuses it before
    valid_until: float  # its exp, or the next signature check, whichever comes first

    def holds_at(self, now: float) -> bool:
        return self.valid_from <= now < self.valid_until


def issue_token(
    secret: str,
    subject: str,
    role: str,
    *,
    issuer: str = LOCAL_ISSUER,
    audience: str = LOCAL_AUDIENCE,
    ttl_seconds: int = HUMAN_TOKEN_HOURS * 3600,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    check_secret(secret)
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": subject, "role": role, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    def __init__(
        self,
        secret: str = "",
        jwks_url: str | None = None,
        *,
        issuer: str,
        audience: str,
        max_lifetime_seconds: int = HUMAN_TOKEN_HOURS * 3600,
        oidc_issuer: str | None = None,
        clock: Callable[[], float] = time.time,
        remembered_tokens: int = REMEMBERED_TOKENS,
    ):
        if not secret and not jwks_url:
            raise ValueError("JARING_AUTH_SECRET or JARING_AUTH_JWKS_URL must be set")
        if secret:
            check_secret(secret)
        if not issuer or not audience:
            raise ValueError(
                "JARING_AUTH_ISSUER and JARING_AUTH_AUDIENCE must be set: a token is accepted only "
                "from this issuer, for this audience"
            )
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url) if jwks_url else None
        self._issuer = issuer
        # The issuer of the tokens the JWKS keys sign; the same as `issuer` unless both sources are trusted.
        self._oidc_issuer = oidc_issuer or issuer
        self._audience = audience
        self._max_lifetime = max_lifetime_seconds
        self._clock = clock
        self._remembered: OrderedDict[str, _Verified] = OrderedDict()
        self._remembered_max = remembered_tokens
        self._remembered_lock = threading.Lock()  # verify also runs in threadpool workers (JWKS)

    @property
    def fetches_keys(self) -> bool:
        return self._jwks is not None

    def verify(self, token: str) -> Actor:
        """The actor the token names; raises jwt.PyJWTError when it is not good."""
        return self.remembered(token) or self._verify_afresh(token)

    def remembered(self, token: str) -> Actor | None:
        """The actor of this exact token, if it was verified and that still holds now; else None."""
        with self._remembered_lock:
            verified = self._remembered.get(token)
            if verified is None:
                return None
            if not verified.holds_at(self._clock()):
                del self._remembered[token]
                return None
            self._remembered.move_to_end(token)
            return verified.actor

    def _verify_afresh(self, token: str) -> Actor:
        options: jwt.types.Options = {"require": ["iss", "aud", "sub", "iat", "exp"]}
        if jwt.get_unverified_header(token).get("alg") == "HS256":
            if not self._secret:
                raise jwt.InvalidAlgorithmError("this deployment takes no HS256 tokens")
            key, algorithms, issuer = self._secret, ["HS256"], self._issuer
        else:
            if self._jwks is None:
                raise jwt.InvalidAlgorithmError("this deployment takes HS256 tokens only")
            key = self._jwks.get_signing_key_from_jwt(token).key
            algorithms, issuer = ["RS256", "ES256"], self._oidc_issuer
        claims = jwt.decode(token, key, algorithms=algorithms, audience=self._audience, issuer=issuer, options=options)
        if int(claims["exp"]) - int(claims["iat"]) > self._max_lifetime:
            raise jwt.InvalidTokenError(f"token lives longer than {self._max_lifetime // 3600} h; ask for a new one")
        role = claims.get("role")
        if role not in ROLES:
            raise jwt.InvalidTokenError("token carries no known role")
        actor = Actor(subject=str(claims["sub"]), role=role)
        # PyJWT read the system clock; the window is checked again on this verifier's, the one
        # every later use of the remembered answer is checked on.
        now = self._clock()
        exp, valid_from = int(claims["exp"]), max(int(claims["iat"]), int(claims.get("nbf", 0)))
        if exp <= now:
            raise jwt.ExpiredSignatureError("Signature has expired")
        if valid_from > now:
            raise jwt.ImmatureSignatureError("The token is not yet valid")
        self._remember(token, _Verified(actor, valid_from, min(exp, now + RECHECK_SECONDS)))
        return actor

    def _remember(self, token: str, verified: _Verified) -> None:
        with self._remembered_lock:
            self._remembered[token] = verified
            self._remembered.move_to_end(token)
            while len(self._remembered) > self._remembered_max:
                self._remembered.popitem(last=False)  # the least recently used


def token_verifier(infra: InfraSettings) -> TokenVerifier:
    """The verifier for a service's InfraSettings (shared.settings)."""
    return TokenVerifier(
        infra.jaring_auth_secret,
        infra.jaring_auth_jwks_url,
        issuer=infra.jaring_auth_issuer,
        audience=infra.jaring_auth_audience,
        max_lifetime_seconds=infra.jaring_auth_token_hours * 3600,
        oidc_issuer=infra.jaring_auth_oidc_issuer,
    )


_bearer = HTTPBearer(auto_error=False)


async def current_actor(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    """The actor the request's bearer token names; 401 without a good one."""
    if credentials is None:
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.token_verifier
    if actor := verifier.remembered(credentials.credentials):
        return actor
    try:
        if verifier.fetches_keys:  # the JWKS client may fetch the issuer's keys: not on the event loop
            return await run_in_threadpool(verifier.verify, credentials.credentials)
        return verifier.verify(credentials.credentials)  # HS256: microseconds, no thread hop needed
    except jwt.PyJWTError as exc:
        raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


def require_role(*roles: str) -> Callable[[Request, HTTPAuthorizationCredentials | None], Awaitable[Actor]]:
    """FastAPI dependency: the signed-in actor, if their role is one of `roles`. The token is read
    here rather than by a dependency of its own: each level of dependencies costs FastAPI work on
    every request."""

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Actor:
        actor = await current_actor(request, credentials)
        if actor.role not in roles:
            raise HTTPException(403, f"role {actor.role!r} may not do this; needs one of {', '.join(roles)}")
        return actor

    return dependency

"""Officer authentication: a bearer JWT carrying one role.

Every HTTP endpoint but /health and /metrics requires it. Tokens are signed with an
HS256 key from settings (the local stack generates one) or, in production, by an OIDC
issuer whose keys come from its JWKS URL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

ROLES = ("officer", "supervisor", "operator")


@dataclass(frozen=True)
class Actor:
    subject: str
    role: str


def issue_token(secret: str, subject: str, role: str, ttl_seconds: int = 30 * 24 * 3600) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now = int(time.time())
    return jwt.encode({"sub": subject, "role": role, "iat": now, "exp": now + ttl_seconds}, secret, algorithm="HS256")


class TokenVerifier:
    def __init__(self, secret: str = "", jwks_url: str | None = None, audience: str | None = None):
        if not secret and not jwks_url:
            raise ValueError("JARING_AUTH_SECRET or JARING_AUTH_JWKS_URL must be set")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url) if jwks_url else None
        self._audience = audience

    @property
    def fetches_keys(self) -> bool:
        return self._jwks is not None

    def verify(self, token: str) -> Actor:
        options = {"require": ["sub", "exp"], "verify_aud": self._audience is not None}
        if self._jwks is not None:
            key = self._jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=self._audience, options=options)
        else:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], audience=self._audience, options=options)
        role = claims.get("role")
        if role not in ROLES:
            raise jwt.InvalidTokenError("token carries no known role")
        return Actor(subject=str(claims["sub"]), role=role)


_bearer = HTTPBearer(auto_error=False)


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    if credentials is None:
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        if verifier.fetches_keys:  # the JWKS client may fetch the issuer's keys: not on the event loop
            return await run_in_threadpool(verifier.verify, credentials.credentials)
        return verifier.verify(credentials.credentials)  # HS256: microseconds, no thread hop needed
    except jwt.PyJWTError as exc:
        raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


def require_role(*roles: str):
    """FastAPI dependency: the signed-in actor, if their role is one of `roles`."""

    async def dependency(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in roles:
            raise HTTPException(403, f"role {actor.role!r} may not do this; needs one of {', '.join(roles)}")
        return actor

    return dependency

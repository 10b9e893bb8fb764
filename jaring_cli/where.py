"""Where the services are and which token to send: the environment first, then the local stack's
`.jaring/` (ports as deploy/local/stack.py defines them, tokens as `make up` writes them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local.keycloak import REALM, SCRIPTS_CLIENT
from deploy.local.stack import HOST, PROCESSES, Layout

URL_ENV = {"claims": "JARING_CLAIMS_URL", "console": "JARING_CONSOLE_URL", "enrollment": "JARING_ENROLLMENT_URL"}


class NoToken(Exception):
    pass


def service_url(service: str) -> str:
    explicit = os.environ.get(URL_ENV[service])
    if explicit:
        return explicit.rstrip("/")
    proc = next(p for p in PROCESSES if p.name == service)
    return f"http://{HOST}:{int(os.environ.get(proc.port_env) or proc.default_port)}"


def state_dir() -> Path:
    return Layout.load().state


def token_for(role: str) -> str:
    """JARING_TOKEN if set (any role: the service decides), else the local stack's token of `role`."""
    explicit = os.environ.get("JARING_TOKEN", "").strip()
    if explicit:
        return explicit
    path = state_dir() / "tokens" / f"{role}.token"
    try:
        return path.read_text().strip()
    except OSError:
        raise NoToken(
            f"no token: set JARING_TOKEN, or start the local stack (make up) so that {path} exists, "
            f"or make one with `jaring token --role {role}`"
        ) from None


def local_secret() -> str:
    """The local stack's signing secret; never created here: a secret the running services do not
    know would only sign tokens they refuse."""
    explicit = os.environ.get("JARING_AUTH_SECRET", "").strip()
    if explicit:
        return explicit
    path = state_dir() / "auth" / "secret"
    try:
        return path.read_text().strip()
    except OSError:
        raise NoToken(
            f"no signing secret at {path}: start the local stack first (make up), or set JARING_AUTH_SECRET"
        ) from None


@dataclass(frozen=True)
class Target:
    service: str
    role: str  # whose token goes with the request when JARING_TOKEN is not set


def client_credentials_token() -> str:
    """A token from the identity provider for the scripts' client (OAuth 2.0 client credentials):
    JARING_OIDC_TOKEN_URL, JARING_OIDC_CLIENT_ID and JARING_OIDC_CLIENT_SECRET where set, else the
    local stack's Keycloak and the secret `make up` generated (.jaring/idp/scripts-client.secret)."""
    url = os.environ.get("JARING_OIDC_TOKEN_URL", "").strip()
    if not url:
        port = os.environ.get("KEYCLOAK_PORT") or "8180"
        url = f"http://127.0.0.1:{port}/realms/{REALM}/protocol/openid-connect/token"
    client_id = os.environ.get("JARING_OIDC_CLIENT_ID", "").strip() or SCRIPTS_CLIENT
    secret = os.environ.get("JARING_OIDC_CLIENT_SECRET", "").strip()
    if not secret:
        path = state_dir() / "idp" / "scripts-client.secret"
        try:
            secret = path.read_text().strip()
        except OSError:
            raise NoToken(
                f"no client secret at {path}: start the local stack with its identity provider (make up), "
                "or set JARING_OIDC_CLIENT_SECRET"
            ) from None
    try:
        answer = httpx.post(url, data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=30)
    except httpx.HTTPError as exc:
        raise NoToken(f"the identity provider at {url} cannot be reached: {exc}") from None
    if answer.status_code != 200:
        raise NoToken(f"the identity provider refused the client credentials ({answer.status_code})")
    return answer.json()["access_token"]

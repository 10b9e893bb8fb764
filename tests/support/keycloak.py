"""Keycloak for the tests that need it (and only them: `make test` starts it once per session,
on a free port, when the first such test asks): the stack's own realm file, with secrets and
passwords made up for this run, the console's address given beforehand (the realm names it in
the console client's redirect URIs)."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local.keycloak import DEMO_USERS, KeycloakNode, RealmSecrets, resolve_keycloak
from tests.support.stack import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class KeycloakUnderTest:
    node: KeycloakNode
    secrets: RealmSecrets
    console_port: int  # the port the console under test must listen on

    @property
    def issuer(self) -> str:
        return self.node.issuer

    @property
    def console_url(self) -> str:
        return self.secrets.console_url

    def user(self, role: str) -> tuple[str, str]:
        return DEMO_USERS[role], self.secrets.passwords[role]

    def client_credentials_token(self) -> str:
        """A token for the scripts' client, as `jaring token --oidc` gets one."""
        answer = httpx.post(
            self.node.token_url,
            data={"grant_type": "client_credentials"},
            auth=("jaring-scripts", self.secrets.scripts_client_secret),
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]


@contextlib.contextmanager
def keycloak_for_tests() -> Iterator[KeycloakUnderTest]:
    import asyncio

    # Its own unpacked copy (the stack's lives in .jaring/keycloak): two Keycloaks never share a home.
    home = resolve_keycloak(REPO / ".jaring" / "keycloak-tests")
    console_port = free_port()
    realm = RealmSecrets(
        console_client_secret=secrets.token_urlsafe(24),
        scripts_client_secret=secrets.token_urlsafe(24),
        passwords={role: secrets.token_urlsafe(12) for role in DEMO_USERS},
        console_url=f"http://127.0.0.1:{console_port}",
    )
    node = KeycloakNode(home, free_port(), realm)
    with tempfile.TemporaryDirectory(prefix="keycloak-log.") as logs:
        node.start(Path(logs) / "keycloak.log")
        try:
            asyncio.run(node.wait_ready(420))  # the first start builds Keycloak: minutes on a loaded machine
            yield KeycloakUnderTest(node, realm, console_port)
        finally:
            node.stop()

"""Tokens from Keycloak (the stack's identity provider, started by the `keycloak` fixture on a free
port with the stack's own realm file) taken by a service that verifies them against Keycloak's
JWKS, beside the local HS256 tokens: a script's token by client credentials (`jaring token --oidc`,
run as the operator runs it, in a child process)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid

import httpx
import jwt
import pytest

from services.enrollment.app import build_spec
from services.enrollment.settings import EnrollmentSettings
from tests.support.services import auth, infra_settings, running

pytestmark = pytest.mark.integration


def jaring_token_oidc(keycloak) -> dict:
    env = {
        **os.environ,
        "JARING_OIDC_TOKEN_URL": keycloak.node.token_url,
        "JARING_OIDC_CLIENT_SECRET": keycloak.secrets.scripts_client_secret,
    }
    done = subprocess.run(
        [sys.executable, "-m", "jaring_cli", "token", "--oidc", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def flip_signature(token: str) -> str:
    head, body, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    return f"{head}.{body}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


async def test_a_scripts_token_from_keycloak_is_taken_by_a_service_through_its_jwks(
    keycloak, kafka_bootstrap, database_url
):
    issued = jaring_token_oidc(keycloak)
    token = issued["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    # What the realm file's mappers promise: Keycloak's issuer, the services' audience, one role.
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["iss"] == keycloak.issuer
    assert claims["aud"] == "jaring" or "jaring" in claims["aud"]
    assert (claims["role"], claims["azp"], issued["role"]) == ("operator", "jaring-scripts", "operator")

    infra = infra_settings(
        kafka_bootstrap,
        database_url,
        jaring_auth_jwks_url=keycloak.node.jwks_url,
        jaring_auth_oidc_issuer=keycloak.issuer,
    )
    async with running(build_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0))) as enrollment:
        # An operator's endpoint: Keycloak's token opens it, its key fetched from the JWKS.
        answer = await enrollment.get("/v1/outbox/quarantine", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        # The same token with one bit of its signature changed opens nothing.
        forged = await enrollment.get(
            "/v1/outbox/quarantine", headers={"Authorization": f"Bearer {flip_signature(token)}"}
        )
        assert forged.status_code == 401
        # The stack's own HS256 tokens keep working beside Keycloak's, and roles still count.
        assert (await enrollment.get("/v1/outbox/quarantine", headers=auth("operator"))).status_code == 200
        assert (await enrollment.get("/v1/outbox/quarantine", headers=auth("officer"))).status_code == 403


async def test_a_service_that_does_not_trust_keycloak_refuses_its_token(keycloak, kafka_bootstrap, database_url):
    token = jaring_token_oidc(keycloak)["token"]
    infra = infra_settings(kafka_bootstrap, database_url)  # HS256 only, no JWKS
    async with running(build_spec(EnrollmentSettings(infra=infra, coverage_sweep_seconds=0))) as enrollment:
        answer = await enrollment.get("/v1/outbox/quarantine", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


async def test_with_the_identity_provider_unreachable_the_sign_in_page_says_so(kafka_bootstrap, database_url):
    from tests.support.console import console

    nowhere = "http://127.0.0.1:9/realms/jaring"  # port 9 (discard): nothing listens
    async with (
        console(
            kafka_bootstrap,
            database_url,
            name=f"console_{uuid.uuid4().hex[:8]}",
            oidc_issuer=nowhere,
            oidc_client_secret="x" * 24,
            allow_pasted_token=False,
        ) as c,
        httpx.AsyncClient(base_url=c.url, timeout=30) as http,
    ):
        page = await http.get("/signin")
        assert 'data-signin="idp"' in page.text and 'name="token"' not in page.text
        answer = await http.get("/signin/oidc", params={"next": "/review"})
        assert answer.status_code == 503
        assert "Keycloak" in answer.text and "tidak dapat dihubungi" in answer.text
        assert "jaring_console_oidc" not in answer.cookies  # no sign-in under way

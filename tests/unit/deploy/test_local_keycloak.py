"""The local stack's identity provider: the realm file keeps no secret, gives each token one role
and the services' audience, and lets the console sign in only by code with PKCE; `make up` hands
the services and the console what they need to trust it, or nothing with JARING_IDP=none."""

import json
import stat

import pytest

from deploy.local import stack
from deploy.local.keycloak import CONSOLE_CLIENT, DEMO_USERS, REALM_FILE, SCRIPTS_CLIENT, KeycloakNode, RealmSecrets

REALM = json.loads(REALM_FILE.read_text())
PLACEHOLDER = r"${"


def client(client_id: str) -> dict:
    return next(c for c in REALM["clients"] if c["clientId"] == client_id)


def test_no_password_or_client_secret_is_written_in_the_realm_file():
    for user in REALM["users"]:
        for credential in user.get("credentials", []):
            assert credential["value"].startswith(PLACEHOLDER), user["username"]
    for c in REALM["clients"]:
        assert c["secret"].startswith(PLACEHOLDER), c["clientId"]


def test_one_demo_user_per_role_each_with_that_role_only():
    users = {u["username"]: u for u in REALM["users"]}
    for role, username in DEMO_USERS.items():
        assert users[username]["realmRoles"] == [role]
        assert users[username]["requiredActions"] == []  # straight in: no profile form on first sign-in
    assert {r["name"] for r in REALM["roles"]["realm"]} == set(DEMO_USERS)


def test_the_console_signs_in_by_code_with_pkce_only_and_comes_back_to_the_console_alone():
    console = client(CONSOLE_CLIENT)
    assert console["standardFlowEnabled"] and not console["implicitFlowEnabled"]
    assert not console["directAccessGrantsEnabled"]  # no password sent to the console
    assert console["attributes"]["pkce.code.challenge.method"] == "S256"
    assert console["redirectUris"] == ["${JARING_CONSOLE_URL}/signin/callback"]


@pytest.mark.parametrize("client_id", [CONSOLE_CLIENT, SCRIPTS_CLIENT])
def test_access_tokens_carry_one_role_and_the_services_audience(client_id):
    c = client(client_id)
    mappers = {m["protocolMapper"]: m["config"] for m in c["protocolMappers"]}
    role = mappers["oidc-usermodel-realm-role-mapper"]
    assert (role["claim.name"], role["multivalued"], role["access.token.claim"]) == ("role", "false", "true")
    assert mappers["oidc-audience-mapper"]["included.custom.audience"] == "jaring"
    # Only the three roles reach the token (a user's default roles would make `role` ambiguous).
    assert c["fullScopeAllowed"] is False
    scoped = next(s["roles"] for s in REALM["scopeMappings"] if s["client"] == client_id)
    assert set(scoped) <= set(DEMO_USERS)


def test_the_scripts_client_is_an_operator_by_client_credentials_only():
    scripts = client(SCRIPTS_CLIENT)
    assert scripts["serviceAccountsEnabled"] and not scripts["standardFlowEnabled"]
    account = next(u for u in REALM["users"] if u.get("serviceAccountClientId") == SCRIPTS_CLIENT)
    assert account["realmRoles"] == ["operator"]


def test_keycloak_fills_the_placeholders_from_its_environment():
    secrets = RealmSecrets(
        "c" * 8, "s" * 8, {"officer": "p1", "supervisor": "p2", "operator": "p3"}, "http://127.0.0.1:8100/"
    )
    assert secrets.env() == {
        "JARING_CONSOLE_CLIENT_SECRET": "cccccccc",
        "JARING_SCRIPTS_CLIENT_SECRET": "ssssssss",
        "JARING_CONSOLE_URL": "http://127.0.0.1:8100",
        "JARING_DEMO_OFFICER_PASSWORD": "p1",
        "JARING_DEMO_SUPERVISOR_PASSWORD": "p2",
        "JARING_DEMO_OPERATOR_PASSWORD": "p3",
    }
    node = KeycloakNode(REALM_FILE.parent, 8180, secrets)
    assert node.issuer == "http://127.0.0.1:8180/realms/jaring"
    assert node.jwks_url == "http://127.0.0.1:8180/realms/jaring/protocol/openid-connect/certs"
    assert "--import-realm" in node.argv() and "--db=dev-mem" in node.argv()


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("JARING_STATE_DIR", str(tmp_path))
    for name in (
        "JARING_IDP",
        "KEYCLOAK_PORT",
        "CONSOLE_HTTP_PORT",
        "JARING_AUTH_JWKS_URL",
        "JARING_AUTH_OIDC_ISSUER",
        "CONSOLE_OIDC_ISSUER",
        "CONSOLE_OIDC_CLIENT_SECRET",
        "CONSOLE_PUBLIC_URL",
        "CONSOLE_ALLOW_PASTED_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_make_up_points_services_and_console_at_keycloak_with_generated_secrets(state, tmp_path):
    lay = stack.Layout.load()
    env = stack._child_env(lay, "k" * 32)
    assert env["JARING_AUTH_JWKS_URL"] == "http://127.0.0.1:8180/realms/jaring/protocol/openid-connect/certs"
    assert env["JARING_AUTH_OIDC_ISSUER"] == env["CONSOLE_OIDC_ISSUER"] == "http://127.0.0.1:8180/realms/jaring"
    assert env["CONSOLE_PUBLIC_URL"] == "http://127.0.0.1:8100"
    assert env["CONSOLE_ALLOW_PASTED_TOKEN"] == "true"  # the local demo only
    secret_file = tmp_path / "idp" / "console-client.secret"
    assert env["CONSOLE_OIDC_CLIENT_SECRET"] == secret_file.read_text().strip()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    # Generated once, kept: a second `make up` hands out the same secrets and passwords.
    again = stack.Layout.load().keycloak()
    assert again is not None and again.secrets == lay.keycloak().secrets
    assert len(set(again.secrets.passwords.values())) == 3


def test_jaring_idp_none_leaves_keycloak_out(state, tmp_path):
    state.setenv("JARING_IDP", "none")
    lay = stack.Layout.load()
    env = stack._child_env(lay, "k" * 32)
    assert lay.keycloak() is None
    assert "JARING_AUTH_JWKS_URL" not in env and "CONSOLE_OIDC_ISSUER" not in env
    assert not (tmp_path / "idp").exists()

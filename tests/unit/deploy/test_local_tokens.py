"""The role tokens `make up` writes are accepted by the services it starts, and live a shift;
a service given a short key does not start."""

import stat

import jwt
import pytest

from deploy.local.credentials import auth_env, ensure_secret, write_tokens
from services.claims.app import build_spec
from services.claims.settings import ClaimsSettings
from shared.auth import ROLES, WeakSecret, token_verifier
from shared.service import create_app
from shared.settings import InfraSettings

AUTH_VARIABLES = ("JARING_AUTH_ISSUER", "JARING_AUTH_AUDIENCE", "JARING_AUTH_TOKEN_HOURS")


@pytest.fixture
def clean_env(monkeypatch):
    for name in AUTH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_local_tokens_are_accepted_with_the_settings_the_stack_hands_its_services(tmp_path, clean_env):
    secret = ensure_secret(tmp_path / "auth" / "secret")
    paths = write_tokens(tmp_path / "tokens", secret, ROLES)
    for name, value in auth_env().items():  # what deploy/local/stack.py puts in each service's environment
        clean_env.setenv(name, value)
    verifier = token_verifier(InfraSettings(jaring_auth_secret=secret))
    for role, path in paths.items():
        text = path.read_text().strip()
        assert verifier.verify(text).role == role
        claims = jwt.decode(text, options={"verify_signature": False})
        assert (claims["iss"], claims["aud"], claims["exp"] - claims["iat"]) == ("jaring-local", "jaring", 8 * 3600)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_generated_secret_is_long_enough_for_hs256(tmp_path):
    assert len(ensure_secret(tmp_path / "secret").encode()) >= 32


def test_a_developer_may_set_the_issuer_audience_and_lifetime(tmp_path, clean_env):
    clean_env.setenv("JARING_AUTH_ISSUER", "jaring-dev")
    clean_env.setenv("JARING_AUTH_AUDIENCE", "jaring-dev-api")
    clean_env.setenv("JARING_AUTH_TOKEN_HOURS", "2")
    secret = "d" * 40
    path = write_tokens(tmp_path, secret, ("officer",))["officer"]
    claims = jwt.decode(path.read_text().strip(), options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["exp"] - claims["iat"]) == ("jaring-dev", "jaring-dev-api", 2 * 3600)
    assert (
        token_verifier(InfraSettings(jaring_auth_secret=secret)).verify(path.read_text().strip()).subject
        == "local-officer"
    )


def test_a_service_given_a_short_key_refuses_to_start():
    settings = ClaimsSettings(infra=InfraSettings(jaring_auth_secret="change-me"))
    with pytest.raises(WeakSecret, match="JARING_AUTH_SECRET is 9 bytes; an HS256 key needs at least 32"):
        create_app(build_spec(settings))

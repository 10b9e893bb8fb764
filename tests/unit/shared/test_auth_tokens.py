"""Tokens: issuer and audience required and checked, keys long enough, lifetimes of hours."""

import time

import jwt
import pytest

from shared.auth import HUMAN_TOKEN_HOURS, TokenVerifier, WeakSecret, issue_token, token_verifier
from shared.settings import InfraSettings

SECRET = "s" * 32


def verifier(**overrides) -> TokenVerifier:
    return TokenVerifier(SECRET, **{"issuer": "jaring-local", "audience": "jaring", **overrides})


def signed(claims: dict, secret: str = SECRET) -> str:
    now = int(time.time())
    full = {
        "iss": "jaring-local",
        "aud": "jaring",
        "sub": "rahma",
        "role": "supervisor",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode({k: v for k, v in full.items() if v is not None}, secret, algorithm="HS256")


def test_a_token_from_the_issuer_for_the_audience_names_its_actor():
    actor = verifier().verify(issue_token(SECRET, "rahma", "supervisor"))
    assert (actor.subject, actor.role) == ("rahma", "supervisor")


def test_a_human_token_lives_eight_hours_by_default():
    claims = jwt.decode(issue_token(SECRET, "rahma", "officer"), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 8 * 3600 and HUMAN_TOKEN_HOURS == 8
    assert (claims["iss"], claims["aud"]) == ("jaring-local", "jaring")


@pytest.mark.parametrize("missing", ["iss", "aud", "iat", "exp", "sub"])
def test_a_token_missing_a_required_claim_is_refused(missing):
    with pytest.raises(jwt.MissingRequiredClaimError):
        verifier().verify(signed({missing: None}))


def test_a_token_from_another_issuer_is_refused():
    with pytest.raises(jwt.InvalidIssuerError):
        verifier().verify(signed({"iss": "someone-else"}))


def test_a_token_for_another_audience_is_refused():
    with pytest.raises(jwt.InvalidAudienceError):
        verifier().verify(signed({"aud": "another-system"}))


def test_a_token_living_longer_than_a_shift_is_refused():
    now = int(time.time())
    month = signed({"iat": now, "exp": now + 30 * 24 * 3600})
    with pytest.raises(jwt.InvalidTokenError, match="lives longer than 8 h"):
        verifier().verify(month)


def test_the_longest_lifetime_is_configurable():
    now = int(time.time())
    twelve_hours = signed({"iat": now, "exp": now + 12 * 3600})
    assert verifier(max_lifetime_seconds=12 * 3600).verify(twelve_hours).subject == "rahma"
    with pytest.raises(jwt.InvalidTokenError):
        verifier().verify(twelve_hours)


def test_an_expired_token_is_refused():
    now = int(time.time())
    with pytest.raises(jwt.ExpiredSignatureError):
        verifier().verify(signed({"iat": now - 7200, "exp": now - 3600}))


def test_a_token_signed_with_another_key_is_refused():
    with pytest.raises(jwt.InvalidSignatureError):
        verifier().verify(signed({}, secret="t" * 32))


def test_a_token_without_a_known_role_is_refused():
    with pytest.raises(jwt.InvalidTokenError, match="no known role"):
        verifier().verify(signed({"role": "admin"}))


@pytest.mark.parametrize("secret", ["short", "x" * 31])
def test_a_secret_shorter_than_32_bytes_refuses_to_start(secret):
    with pytest.raises(WeakSecret, match=f"JARING_AUTH_SECRET is {len(secret)} bytes; an HS256 key needs at least 32"):
        TokenVerifier(secret, issuer="jaring-local", audience="jaring")


def test_a_short_secret_signs_nothing():
    with pytest.raises(WeakSecret):
        issue_token("short", "rahma", "officer")


@pytest.mark.parametrize("missing", ["issuer", "audience"])
def test_the_verifier_refuses_to_start_without_issuer_or_audience(missing):
    with pytest.raises(ValueError, match="JARING_AUTH_ISSUER and JARING_AUTH_AUDIENCE must be set"):
        verifier(**{missing: ""})


def test_settings_carry_the_local_stacks_issuer_audience_and_lifetime():
    infra = InfraSettings(jaring_auth_secret=SECRET)
    assert (infra.jaring_auth_issuer, infra.jaring_auth_audience, infra.jaring_auth_token_hours) == (
        "jaring-local",
        "jaring",
        8,
    )
    assert token_verifier(infra).verify(issue_token(SECRET, "andi", "officer")).role == "officer"


def test_a_deployment_sets_its_own_issuer_and_audience(monkeypatch):
    monkeypatch.setenv("JARING_AUTH_ISSUER", "https://sso.makassarkota.go.id/realms/jaring")
    monkeypatch.setenv("JARING_AUTH_AUDIENCE", "jaring-claims")
    check = token_verifier(InfraSettings(jaring_auth_secret=SECRET))
    with pytest.raises(jwt.InvalidIssuerError):
        check.verify(issue_token(SECRET, "andi", "officer"))
    mine = issue_token(
        SECRET, "andi", "officer", issuer="https://sso.makassarkota.go.id/realms/jaring", audience="jaring-claims"
    )
    assert check.verify(mine).subject == "andi"

"""Sign-in through the identity provider: PKCE, state and nonce (services/console/oidc.py), and
the services' verifier taking the provider's RS256 tokens beside the local HS256 ones (shared.auth).

The provider's keys are served here by a small HTTP server on loopback, as Keycloak serves its JWKS.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.console import oidc
from shared.auth import TokenVerifier, issue_token

SECRET = "s" * 32
LOCAL_ISSUER = "jaring-local"
IDP = "http://127.0.0.1:1/realms/jaring"  # only named in tokens: nothing is fetched from it here
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


# --- PKCE ----------------------------------------------------------------------------------------------


def test_the_challenge_is_rfc_7636s_s256_of_the_verifier():
    # RFC 7636 Appendix B: this verifier's S256 challenge, as the RFC prints it.
    assert (
        oidc.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_a_verifier_is_long_random_and_made_of_unreserved_characters():
    attempts = [oidc.new_attempt() for _ in range(50)]
    for attempt in attempts:
        # RFC 7636 §4.1: 43 to 128 characters; 64 random bytes in base64 without padding are ceil(64 * 4 / 3) = 86.
        assert len(attempt.code_verifier) == 86
        assert set(attempt.code_verifier) <= UNRESERVED
    assert len({a.code_verifier for a in attempts}) == 50
    assert len({a.state for a in attempts}) == 50 and len({a.nonce for a in attempts}) == 50


def test_the_authorization_request_carries_challenge_state_and_nonce_but_never_the_verifier():
    attempt = oidc.Attempt(
        state="st4te", nonce="n0nce", code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", next_path="/review"
    )
    url = oidc.authorization_url(
        f"{IDP}/protocol/openid-connect/auth", "jaring-console", "http://127.0.0.1:8100/signin/callback", attempt, "id"
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "jaring-console",
        "redirect_uri": "http://127.0.0.1:8100/signin/callback",
        "scope": "openid",
        "state": "st4te",
        "nonce": "n0nce",
        "code_challenge_method": "S256",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "ui_locales": "id",
    }
    assert attempt.code_verifier not in url and "/review" not in url  # where the officer goes next stays here


# --- state -----------------------------------------------------------------------------------------------


def test_the_state_coming_back_must_be_the_one_this_browser_holds():
    assert oidc.check_state("abc", "abc") == "abc"
    for returned, held in [("abc", "abd"), ("abc", None), (None, "abc"), ("", ""), ("abc", "")]:
        with pytest.raises(oidc.SignInFailed) as failed:
            oidc.check_state(returned, held)
        assert failed.value.reason == "signin_bad_form"


def test_a_state_is_kept_by_its_hash_only():
    assert oidc.state_hash("abc") != b"abc" and len(oidc.state_hash("abc")) == 32  # SHA-256: 32 bytes


# --- nonce and the ID token --------------------------------------------------------------------------------

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@contextlib.contextmanager
def jwks_served() -> Iterator[str]:
    """The public half of KEY as a JWKS document at http://127.0.0.1:<port>/certs."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    finally:
        server.shutdown()
        server.server_close()


def rs256(claims: dict, key=KEY, kid: str = "k1") -> str:
    now = int(time.time())
    full = {"iss": IDP, "sub": "8f1c", "iat": now, "exp": now + 300, **claims}
    return jwt.encode({k: v for k, v in full.items() if v is not None}, key, algorithm="RS256", headers={"kid": kid})


def provider_with_keys(jwks_url: str) -> oidc.Provider:
    idp = oidc.Provider(IDP, "jaring-console", "client-secret")
    idp._config = {"issuer": IDP, "jwks_uri": jwks_url}  # what discovery would have fetched
    idp._jwks = jwt.PyJWKClient(jwks_url)
    return idp


def test_an_id_token_of_this_sign_in_is_taken():
    with jwks_served() as url:
        claims = asyncio.run(
            provider_with_keys(url).check_id_token(rs256({"aud": "jaring-console", "nonce": "n0nce"}), "n0nce")
        )
    assert claims["sub"] == "8f1c"


@pytest.mark.parametrize(
    "claims, key",
    [
        ({"aud": "jaring-console", "nonce": "another sign-in's"}, KEY),  # replayed from another sign-in
        ({"aud": "jaring-console", "nonce": None}, KEY),  # no nonce at all
        ({"aud": "jaring", "nonce": "n0nce"}, KEY),  # an access token, not our ID token
        ({"aud": "jaring-console", "nonce": "n0nce", "iss": "http://elsewhere/realms/jaring"}, KEY),
        ({"aud": "jaring-console", "nonce": "n0nce", "exp": int(time.time()) - 60}, KEY),
        ({"aud": "jaring-console", "nonce": "n0nce"}, OTHER_KEY),  # signed by a key the issuer does not publish
    ],
)
def test_an_id_token_that_is_not_this_sign_ins_is_refused(claims, key):
    with jwks_served() as url, pytest.raises(oidc.SignInFailed) as failed:
        asyncio.run(provider_with_keys(url).check_id_token(rs256(claims, key), "n0nce"))
    assert failed.value.reason == "signin_failed"


def test_an_hs256_id_token_is_refused_even_when_signed_with_the_client_secret():
    forged = jwt.encode(
        {
            "iss": IDP,
            "aud": "jaring-console",
            "sub": "x",
            "nonce": "n0nce",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "client-secret" * 3,
        algorithm="HS256",
    )
    with jwks_served() as url, pytest.raises(oidc.SignInFailed):
        asyncio.run(provider_with_keys(url).check_id_token(forged, "n0nce"))


def test_rp_initiated_logout_names_the_client_the_hint_and_where_to_come_back():
    url = oidc.end_session_url(
        f"{IDP}/protocol/openid-connect/logout", "jaring-console", "id.tok.en", "http://127.0.0.1:8100/signin"
    )
    assert {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()} == {
        "client_id": "jaring-console",
        "id_token_hint": "id.tok.en",
        "post_logout_redirect_uri": "http://127.0.0.1:8100/signin",
    }


# --- the services: both key sources, each with its own issuer ----------------------------------------------


def both(jwks_url: str) -> TokenVerifier:
    return TokenVerifier(SECRET, jwks_url, issuer=LOCAL_ISSUER, audience="jaring", oidc_issuer=IDP)


def test_the_local_stack_takes_its_own_hs256_tokens_and_the_providers_rs256_ones():
    with jwks_served() as url:
        verifier = both(url)
        assert verifier.verify(issue_token(SECRET, "local-officer", "officer")).subject == "local-officer"
        actor = verifier.verify(rs256({"aud": ["jaring", "account"], "role": "supervisor"}))
    assert (actor.subject, actor.role) == ("8f1c", "supervisor")


def test_a_provider_token_claiming_the_local_issuer_is_refused_and_the_other_way_round():
    with jwks_served() as url:
        verifier = both(url)
        with pytest.raises(jwt.InvalidIssuerError):
            verifier.verify(rs256({"aud": "jaring", "role": "operator", "iss": LOCAL_ISSUER}))
        with pytest.raises(jwt.InvalidIssuerError):
            verifier.verify(issue_token(SECRET, "x", "operator", issuer=IDP))


def test_a_provider_token_without_the_jaring_audience_or_a_role_is_refused():
    with jwks_served() as url:
        verifier = both(url)
        with pytest.raises(jwt.InvalidAudienceError):
            verifier.verify(rs256({"aud": "jaring-console", "role": "operator"}))  # an ID token's audience
        with pytest.raises(jwt.InvalidTokenError, match="no known role"):
            verifier.verify(rs256({"aud": "jaring", "role": "default-roles-jaring"}))


def test_where_only_one_source_is_trusted_the_other_kind_of_token_is_refused():
    with jwks_served() as url, pytest.raises(jwt.InvalidAlgorithmError):
        TokenVerifier(jwks_url=url, issuer=IDP, audience="jaring").verify(issue_token(SECRET, "x", "officer"))
    with pytest.raises(jwt.InvalidAlgorithmError):
        TokenVerifier(SECRET, issuer=LOCAL_ISSUER, audience="jaring").verify(
            rs256({"aud": "jaring", "role": "officer"})
        )

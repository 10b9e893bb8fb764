"""Signing in as officers do: in Chromium, through Keycloak's own login page (Keycloak started by
the `keycloak` fixture with the stack's realm file), onto the console, whose pages call claims with
the access token Keycloak issued, which claims verifies against Keycloak's JWKS; and signing out
ends the session at both ends. Pasting a token is off here, as it is outside the local stack.

Screenshots go to $JARING_SCREENSHOTS_DIR when it is set, else to the test's temporary folder.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.test_console_in_chromium import chromium
from tests.support.console import console, served
from tests.support.pipeline import pipeline

pytestmark = pytest.mark.browser

SLOW = 60_000  # ms: Keycloak on a loaded machine


@pytest.fixture(scope="module")
async def signin_stack(keycloak, kafka_bootstrap, database_url, tmp_path_factory):
    # Every service of this module (and the console) takes Keycloak's tokens beside the tests' HS256 ones.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JARING_AUTH_JWKS_URL", keycloak.node.jwks_url)
        env.setenv("JARING_AUTH_OIDC_ISSUER", keycloak.issuer)
        async with (
            pipeline(kafka_bootstrap, database_url, tmp_path_factory.mktemp("signin")) as p,
            served(p.enrollment.app) as enrollment_url,
            served(p.claims.app) as claims_url,
            console(
                kafka_bootstrap,
                database_url,
                claims_url=claims_url,
                enrollment_url=enrollment_url,
                name=f"console_{uuid.uuid4().hex[:8]}",
                port=keycloak.console_port,
                oidc_issuer=keycloak.issuer,
                oidc_client_secret=keycloak.secrets.console_client_secret,
                public_url=keycloak.console_url,
                allow_pasted_token=False,
            ) as c,
            chromium() as browser,
        ):
            yield c, browser


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    given = os.environ.get("JARING_SCREENSHOTS_DIR")
    folder = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_an_officer_signs_in_through_keycloaks_login_page_and_signing_out_ends_both_sessions(
    signin_stack, keycloak, shots
):
    c, browser = signin_stack
    username, password = keycloak.user("officer")
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()

    # A page asked for before signing in: the console sends the officer to sign in, then back there.
    await page.goto(f"{c.url}/claims/new")
    await expect(page.locator("[data-signin=idp]")).to_be_visible()
    assert await page.locator("textarea[name=token]").count() == 0  # no pasting outside the local demo
    await page.screenshot(path=shots / "signin-console.png")
    await page.click("[data-signin=idp]")

    # Keycloak's own page, on Keycloak's own address.
    await expect(page.locator("#username")).to_be_visible(timeout=SLOW)
    assert page.url.startswith(f"{keycloak.issuer}/protocol/openid-connect/auth?")
    assert "code_challenge_method=S256" in page.url
    await page.screenshot(path=shots / "signin-keycloak.png")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")

    # Back on the console, signed in as an officer, on the page first asked for; its content came
    # from claims, which took Keycloak's token.
    await expect(page.locator("[data-role=officer]")).to_be_visible(timeout=SLOW)
    assert page.url == f"{c.url}/claims/new"
    await expect(page.locator(".me")).to_contain_text(username)  # Keycloak's user name, not its opaque sub
    cookies = {cookie["name"]: cookie for cookie in await context.cookies(c.url)}
    assert cookies["jaring_console"]["httpOnly"] and cookies["jaring_console"]["sameSite"] == "Strict"
    assert "jaring_console_oidc" not in cookies  # the sign-in's state is spent
    await page.goto(f"{c.url}/review")
    await expect(page.locator("[data-role=officer]")).to_be_visible()
    async with c.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT count(*) FROM sessions WHERE id_token IS NOT NULL AND role = 'officer'")
    assert stored == 1

    # Signing out: the console's session is deleted, then Keycloak's is ended, and the browser
    # comes back to the console's sign-in page.
    await page.click("form[action='/signout'] button")
    await expect(page.locator("[data-signin=idp]")).to_be_visible(timeout=SLOW)
    assert page.url.startswith(f"{c.url}/signin")
    async with c.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sessions WHERE id_token IS NOT NULL") == 0
    await page.goto(f"{c.url}/review")
    assert page.url.startswith(f"{c.url}/signin")  # the console's end
    await page.click("[data-signin=idp]")
    await expect(page.locator("#username")).to_be_visible(timeout=SLOW)  # Keycloak's end: asks again
    await context.close()


async def test_a_callback_with_a_state_this_browser_did_not_start_signs_nobody_in(signin_stack):
    c, _ = signin_stack
    async with httpx.AsyncClient(base_url=c.url, timeout=30) as http:
        started = await http.get("/signin/oidc", params={"next": "/review"})
        assert started.status_code == 303 and "jaring_console_oidc" in started.cookies
        # Someone else's state (a login CSRF): refused, and no session cookie set.
        forged = await http.get("/signin/callback", params={"state": "not-ours", "code": "x"})
        assert forged.status_code == 401 and "jaring_console" not in forged.cookies
        # The real state, but a code Keycloak never issued: refused; the state is then spent.
        state = started.cookies["jaring_console_oidc"]
        http.cookies.set("jaring_console_oidc", state)
        bad_code = await http.get("/signin/callback", params={"state": state, "code": "made-up"})
        assert bad_code.status_code == 401 and "jaring_console" not in bad_code.cookies
        http.cookies.set("jaring_console_oidc", state)
        again = await http.get("/signin/callback", params={"state": state, "code": "made-up"})
        assert again.status_code == 401
        # Pasting a token is refused where the setting is off.
        form = await http.post("/signin", data={"token": "x.y.z", "nonce": "n"})
        assert form.status_code == 403

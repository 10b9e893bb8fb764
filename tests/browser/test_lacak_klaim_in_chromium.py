"""The public "Lacak Klaim" pages in Debian's Chromium at a phone's size (390×844): the lookup
works with JavaScript switched off, and every page passes axe-core (injected from the npm
package, tests/browser/package.json) with no serious or critical violation.

Screenshots go to $JARING_SCREENSHOTS_DIR when it is set (docs/screenshots for the docs), else
to the test's temporary folder."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.support.claimants import JKM_DEATH_DOCUMENTS, wait_for_status
from tests.support.console import served
from tests.support.families import Families, families, family_with_claim

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("JARING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    given = os.environ.get("JARING_SCREENSHOTS_DIR")
    folder = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def serious_violations(page: Page) -> list[str]:
    assert AXE.exists(), "run `npm ci --prefix tests/browser` (make test does) for axe-core"
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def look_up(
    f: Families, page: Page, url: str, claim_id: str, phone: str, codes_before: int, check: bool = False
) -> None:
    """Claim number and phone → code → status, through the forms as a family fills them; with
    `check`, axe-core runs on each page on the way."""
    await page.goto(f"{url}/lacak")
    if check:
        await checked(page, "lacak-start")
    await page.fill("#claim_number", claim_id)
    await page.fill("#phone", "0" + phone[3:])
    await page.click("button[type=submit]")
    await page.wait_for_selector("#code")
    if check:
        await checked(page, "lacak-code")
    code = await f.code_sent_to(phone, after=codes_before)
    await page.fill("#code", code)
    await page.click("button[type=submit]")
    await page.wait_for_selector("[data-status]")


SHOTS: Path | None = None


async def checked(page: Page, name: str) -> None:
    problems = await serious_violations(page)
    assert problems == [], f"axe-core on {name}: {problems}"
    if SHOTS is not None:
        await page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


async def test_lacak_klaim_works_without_javascript_and_passes_axe_at_phone_size(
    kafka_bootstrap, database_url, tmp_path, shots
):
    global SHOTS
    SHOTS = shots
    async with (
        families(kafka_bootstrap, database_url, tmp_path) as f,
        served(f.grievances_app) as url,
        chromium() as browser,
    ):
        claim_id, widow, _son, _ = await family_with_claim(f, JKM_DEATH_DOCUMENTS)  # the marriage book is missing
        await wait_for_status(f.p.claims, claim_id, "needs_review", 60)
        await f.claim_in_read_model(claim_id, "needs_review")

        # Without JavaScript: plain forms, answered by the server.
        no_js = await browser.new_context(viewport=PHONE, java_script_enabled=False, locale="id-ID")
        page = await no_js.new_page()
        await look_up(f, page, url, claim_id, widow, codes_before=0)
        assert "buku nikah" in await page.inner_text("[data-missing]")
        await no_js.close()

        # With JavaScript only so that axe-core can run in the page; the pages themselves use none.
        context = await browser.new_context(viewport=PHONE, locale="id-ID")
        page = await context.new_page()
        await look_up(f, page, url, claim_id, widow, codes_before=1, check=True)
        await checked(page, "lacak-status")
        await page.select_option("#category", "delay")
        await page.fill("#text", "Sudah dua minggu belum ada kabar dari kantor cabang.")
        await page.click("form[action='/lacak/aduan'] button[type=submit]")
        await page.wait_for_selector("[data-grievance]")
        await checked(page, "lacak-complaint-filed")

        # A wrong code, and the English pages.
        await page.goto(f"{url}/lacak?lang=en")
        await page.fill("#claim_number", claim_id)
        await page.fill("#phone", "0" + widow[3:])
        await page.click("button[type=submit]")
        await page.wait_for_selector("#code")
        await page.fill("#code", "000000" if (await f.code_sent_to(widow, after=2)) != "000000" else "111111")
        await page.click("button[type=submit]")
        await page.wait_for_selector(".error")
        assert "The code is wrong" in await page.inner_text(".error")
        assert await page.get_attribute("html", "lang") == "en"
        await checked(page, "lacak-wrong-code-en")
        await context.close()

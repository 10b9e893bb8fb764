"""The console in a real browser: Debian's Chromium driven by Playwright, against enrollment,
claims and notifications running in this process on real Kafka and PostgreSQL, each served
over HTTP, and the console served by uvicorn in the same event loop.

Screenshots of each page go to $JARING_SCREENSHOTS_DIR when it is set (the README's come
from `JARING_SCREENSHOTS_DIR=docs/screenshots`), else to the test's temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from services.claims.domain.dates import add_months
from services.enrollment.domain import Period
from shared.clock import today as makassar_today
from shared.contracts.enrollment import (
    CoverageChanged,
    HeirData,
    ParticipantDetails,
    ParticipantEnrolled,
    ProtectedPeriod,
)
from shared.envelope import EventPayload, new_envelope
from shared.kafka import EventProducer, OutgoingRecord
from shared.topics import CLAIMS_FILED, PARTICIPANTS
from tests.support.claimants import (
    CHILD,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    SPOUSE,
    claim_form,
    claims_knows,
    covered_participant,
    pay,
    unique_name,
    wait_for_status,
)
from tests.support.console import console, served
from tests.support.kafka_tools import wait_until
from tests.support.pipeline import pipeline
from tests.support.privacy import full_niks_in
from tests.support.services import participant_form, random_nik, token

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("JARING_CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing that reaches out to the network on its own.
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
SLOW = 60_000  # ms: verification, payout and two deliveries through Kafka
PROBLEMS: dict[Page, list[str]] = {}


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap, database_url, tmp_path_factory):
    async with (
        pipeline(kafka_bootstrap, database_url, tmp_path_factory.mktemp("browser")) as p,
        served(p.enrollment.app) as enrollment_url,
        served(p.claims.app) as claims_url,
        served(p.notifications.app) as notifications_url,
        console(
            kafka_bootstrap,
            database_url,
            claims_url=claims_url,
            enrollment_url=enrollment_url,
            notifications_url=notifications_url,
            name=f"console_{uuid.uuid4().hex[:8]}",
        ) as c,
        chromium() as browser,
    ):
        yield p, c, browser


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    given = os.environ.get("JARING_SCREENSHOTS_DIR")
    folder = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def signed_in(browser: Browser, url: str, role: str, subject: str, shots: Path | None = None) -> Page:
    """A fresh browser context (its own cookies), signed in through the form with the role's token."""
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    # Script errors and refused scripts or styles (the console sends a Content-Security-Policy),
    # checked at every screenshot. A 403 page's own status is not one.
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    PROBLEMS[page] = problems
    await page.goto(f"{url}/signin")
    if shots is not None:
        await accessible(page, "signin")
        await page.screenshot(path=shots / "signin.png")
    await page.fill("textarea[name=token]", token(role, subject))
    await page.click("button[type=submit]")
    await expect(page.locator(f"[data-role={role}]")).to_be_visible()
    return page


async def reload_until(page: Page, url: str, selector: str, timeout_s: float = 30) -> None:
    """For pages that do not refresh themselves: open again until `selector` is there."""
    deadline = timedelta(seconds=timeout_s)
    waited = timedelta()
    while True:
        await page.goto(url)
        if await page.locator(selector).count():
            return
        if waited > deadline:
            raise AssertionError(f"{selector} never appeared on {url}")
        await page.wait_for_timeout(500)
        waited += timedelta(milliseconds=500)


AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
# A desk and a phone (the sizes the issue measured).
VIEWPORTS = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})


async def accessible(page: Page, name: str) -> None:
    """axe-core at a desk's and a phone's size: no critical or serious violation, and the page
    does not scroll sideways on the phone. Run through Playwright's evaluate, which the
    console's Content-Security-Policy does not apply to (the page itself loads no such script)."""
    before = page.viewport_size
    try:
        for size in VIEWPORTS:
            await page.set_viewport_size(size)
            if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
                await page.evaluate(AXE)
            found = await page.evaluate("""async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
                    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
            }""")
            assert found == [], f"{name} at {size['width']}px: {found}"
            overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {size['width']}px"
    finally:
        if before:
            await page.set_viewport_size(before)


async def shoot(page: Page, shots: Path, name: str, only: Locator | None = None) -> None:
    """Checks the page (no script error, axe-core) and takes its picture, or only `only`'s."""
    assert PROBLEMS.get(page, []) == [], f"the browser complained before {name}"
    await accessible(page, name)
    if only is not None:
        await only.screenshot(path=shots / f"{name}.png")
    else:
        await page.screenshot(path=shots / f"{name}.png", full_page=True)


# --- officers -------------------------------------------------------------------------------------------------


async def test_an_officer_files_a_jkm_claim_in_the_form_and_sees_it_paid_out_and_both_heirs_told(stack, shots):
    p, c, browser = stack
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[SPOUSE, CHILD]
    )
    full_name = (await p.enrollment.get(f"/v1/participants/{participant_id}")).json()["full_name"]
    page = await signed_in(browser, c.url, "officer", "rina.officer", shots)

    await page.goto(f"{c.url}/claims/new")
    # An empty form: claims names every missing field in one pass, each next to its field.
    await page.click("button[data-action=check]")
    for field in ("participant_id", "incident_date", "incident_place", "cause", "reporter.name"):
        await expect(page.locator(f"[data-error-for='{field}']")).not_to_be_empty()
        error_id = await page.locator(f"[data-error-for='{field}']").get_attribute("id")
        assert await page.locator(f"[aria-describedby~='{error_id}']").count() == 1, field
    await expect(page.locator("[data-error-for='incident_place']")).to_have_text("Wajib diisi.")
    await expect(page.locator("[data-banner]")).to_have_text("Periksa isian yang ditandai.")
    await shoot(page, shots, "claim-form-errors")

    await page.fill("input[name=q]", full_name)
    await page.check(f"input[name=participant_id][value='{participant_id}']")  # found as the officer types
    # Only the documents the claim type needs, from claims' checklist.
    await expect(page.locator("tr[data-document=death_certificate]")).to_be_visible()
    await expect(page.locator("tr[data-document=accident_chronology]")).to_be_hidden()
    await page.select_option("select[name=claim_type]", "JKK")
    await expect(page.locator("tr[data-document=accident_chronology]")).to_be_visible()
    await expect(page.locator("tr[data-document=death_certificate]")).to_be_hidden()
    await page.select_option("select[name=claim_type]", "JKM")
    # KTP numbers are typed where the officer can see them.
    await expect(page.locator("input[name=docnum_ktp_deceased]")).to_have_attribute("type", "text")
    await page.fill("input[name=incident_date]", today.isoformat())
    await page.check("input[name=doc_ktp_deceased]")
    await page.fill("input[name=docnum_ktp_deceased]", "12345")
    await page.click("button[data-action=check]")
    await expect(page.locator("[data-error-for='documents.ktp_deceased']")).not_to_be_empty()
    # What was typed is still there, and the errors of the first try are gone.
    await expect(page.locator("input[name=docnum_ktp_deceased]")).to_have_value("12345")
    await expect(page.locator(f"input[name=participant_id][value='{participant_id}']")).to_be_checked()
    await expect(page.locator("[data-error-for='participant_id']")).to_be_empty()

    await page.fill("input[name=incident_place]", "Pasar Terong, Bontoala")
    await page.fill("input[name=cause]", "serangan jantung di rumah")
    await page.fill("input[name=reporter_name]", "Andi Baso")
    await page.fill("input[name=reporter_phone]", "0813 4200 1111")  # as enrollment accepts it
    await page.fill("input[name=reporter_organisation]", "suami")
    for kind, number in {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}.items():
        await page.check(f"input[name=doc_{kind}]")
        await page.fill(f"input[name=docnum_{kind}]", number)
    await page.click("button[data-action=check]")
    # A summary to confirm, KTP numbers masked; the participant was covered that day.
    summary = page.locator("[data-summary]")
    await expect(summary).to_contain_text(full_name)
    await expect(summary).to_contain_text("7371************")
    await expect(page.locator("[data-coverage-warning]")).to_have_count(0)
    assert not full_niks_in(await page.content())
    # The picture is of the summary: the fields above hold the KTP numbers as typed.
    await shoot(page, shots, "claim-form-summary", only=summary)
    await page.click("button[data-action=file]")
    await expect(page).to_have_url(re.compile(r"/claims/CL-[0-9a-f]+"), timeout=30_000)
    claim_id = re.search(r"/claims/(CL-[0-9a-f]+)", page.url).group(1)

    # The page follows the claim by itself until the payout is recorded and both heirs told.
    await expect(page.locator("[data-claim-status]")).to_have_attribute(
        "data-claim-status", "payout_recorded", timeout=SLOW
    )
    told = page.locator("tr[data-about=PayoutRecorded][data-status=delivered]")
    await expect(told).to_have_count(2, timeout=SLOW)
    assert sorted(await told.locator("td:nth-child(3)").all_inner_texts()) == ["WhatsApp", "surel"]
    assert sorted(await told.locator("td:nth-child(1)").all_inner_texts()) == sorted(
        [SPOUSE["full_name"], CHILD["full_name"]]
    )
    await expect(page.locator("[data-claim-status]")).to_have_text("pembayaran dicatat")
    await expect(page.locator("[data-total-cash]")).to_have_text("Rp 42.000.000")
    await expect(page.locator("ol.timeline li[data-step=payout_recorded]")).to_have_count(1)
    assert not full_niks_in(await page.content())
    await shoot(page, shots, "claim")

    await page.click("a[href^='/lang/en']")
    await expect(page.locator("[data-claim-status]")).to_have_text("payout recorded")
    await page.click("a[href^='/lang/id']")
    await page.click(f"a[href='/participants/{participant_id}']")
    await expect(page.locator("[data-coverage]")).to_have_text("aktif")
    await expect(page.locator(f"a[href='/claims/{claim_id}']")).to_be_visible()
    assert not full_niks_in(await page.content())
    await shoot(page, shots, "participant")


async def test_an_officer_is_warned_before_filing_an_incident_on_a_day_without_coverage(stack, shots):
    p, c, browser = stack
    today = makassar_today()
    # Paid today: protected from today on, so an incident yesterday was not covered.
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
    )
    full_name = (await p.enrollment.get(f"/v1/participants/{participant_id}")).json()["full_name"]
    page = await signed_in(browser, c.url, "officer", "rina.officer")
    await page.goto(f"{c.url}/claims/new?participant_id={participant_id}&q={quote(full_name)}")
    await page.fill("input[name=incident_date]", (today - timedelta(days=1)).isoformat())
    await page.fill("input[name=incident_place]", "Pasar Terong, Bontoala")
    await page.fill("input[name=cause]", "serangan jantung di rumah")
    await page.fill("input[name=reporter_name]", "Muh. Ridwan")
    await page.click("button[data-action=check]")
    await expect(page.locator("[data-summary] [data-coverage-warning]")).to_contain_text("tidak terlindungi")
    await shoot(page, shots, "claim-form-coverage-warning")
    # Checking wrote nothing.
    assert (await p.claims.get("/v1/claims", params={"participant_id": participant_id})).json() == []


async def test_a_supervisor_approves_a_claim_from_the_review_queue(stack, shots):
    p, c, browser = stack
    today = makassar_today()
    # Member for a month only: a death this soon after joining is referred to a person.
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -1), heirs=[SPOUSE]
    )
    filed = await p.claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "needs_review")

    officer = await signed_in(browser, c.url, "officer", "rina.officer")
    await officer.goto(f"{c.url}/review")
    await expect(officer.locator(f"article[data-claim='{claim_id}'] form.decision")).to_have_count(0)

    # A second supervisor has the same queue open, and will decide a moment too late.
    second = await signed_in(browser, c.url, "supervisor", "andi.supervisor")
    await second.goto(f"{c.url}/review?q={claim_id}")
    await expect(second.locator("article.review")).to_have_count(1)
    await expect(second.locator("[data-waiting]")).to_contain_text("1 dari")

    page = await signed_in(browser, c.url, "supervisor", "rahma.supervisor")
    await page.goto(f"{c.url}/review")
    queued = page.locator(f"article[data-claim='{claim_id}']")
    full_name = (await p.enrollment.get(f"/v1/participants/{participant_id}")).json()["full_name"]
    await expect(queued.locator("[data-participant-name]")).to_have_text(full_name)
    await expect(queued.locator("[data-reason=DEATH_SOON_AFTER_ENROLMENT]")).to_contain_text(
        "meninggal tak lama setelah mendaftar"
    )
    await queued.locator("textarea[name=reason]").fill("catatan rumah sakit: stroke mendadak, tidak sakit sebelumnya")
    await queued.scroll_into_view_if_needed()
    await shoot(page, shots, "review-queue")
    await queued.locator("button[value=approve]").click()

    await expect(page).to_have_url(re.compile(f"/claims/{claim_id}"))
    await expect(page.locator("[data-claim-status]")).to_have_attribute(
        "data-claim-status", "payout_recorded", timeout=SLOW
    )
    await expect(page.locator("[data-total-cash]")).to_have_text("Rp 10.000.000")
    await expect(page.locator("ol.timeline li[data-step=decided]")).to_contain_text("rahma.supervisor")

    # The second supervisor's rejection is not dropped: they are told who decided, and when,
    # and their note is still there.
    late = second.locator(f"article[data-claim='{claim_id}']")
    await late.locator("textarea[name=reason]").fill("KTP ahli waris tidak cocok dengan KK")
    await late.locator("button[value=reject]").click()
    told = second.locator(f"[data-decided-elsewhere='{claim_id}']")
    await expect(told).to_contain_text(
        re.compile(r"sudah disetujui.* oleh rahma\.supervisor pukul \d+ \w+ \d{4} \d\d:\d\d:\d\d WITA")
    )
    await expect(told.locator("textarea")).to_have_value("KTP ahli waris tidak cocok dengan KK")
    await shoot(second, shots, "review-decided-elsewhere")

    await page.goto(f"{c.url}/trace?q={claim_id}")
    await expect(page.locator("table.steps tr[data-step=decided]")).to_have_count(1)
    await shoot(page, shots, "trace")
    await page.goto(f"{c.url}/sla?all=true")
    await expect(page.locator(f"tr[data-claim='{claim_id}']")).to_be_visible()
    await shoot(page, shots, "sla")
    await page.goto(f"{c.url}/stuck?older_than_s=0")
    await expect(page.locator(f"tr[data-claim='{claim_id}']")).to_contain_text("transfer dana")
    await shoot(page, shots, "stuck")


async def test_an_officer_finds_people_by_full_nik_or_phone_and_works_through_their_claim_lists(stack, shots):
    p, c, browser = stack
    today = makassar_today()
    birth = date(1985, 4, 9)
    nik = random_nik(birth, "F")
    phone = f"0813{uuid.uuid4().int % 10**8:08d}"
    full_name = unique_name("Hasnah Daeng Baji")
    enrolled = await p.enrollment.post(
        "/v1/participants",
        json=participant_form(
            nik=nik,
            birth_date=birth,
            sex="F",
            full_name=full_name,
            phone=phone,
            member_since=add_months(today, -12).isoformat(),
            heirs=[SPOUSE],
        ),
    )
    participant_id = enrolled.json()["participant_id"]
    await pay(p.enrollment, participant_id, Period.of(today), today)
    await claims_knows(p.claims, participant_id, full_name, "active")
    filed = await p.claims.post(
        "/v1/claims",
        json=claim_form(participant_id, "JKM", today, {"participant_card": "KPJ-26-0009"}),
        headers={"Authorization": f"Bearer {token('officer', 'lina.officer')}"},
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "needs_review")
    page = await signed_in(browser, c.url, "officer", "lina.officer")

    # By full NIK (sent to enrollment in a POST body; neither in the address nor shown back), then by phone.
    for typed in (nik, phone):
        await page.goto(f"{c.url}/participants")
        await page.fill("form.search input[name=q]", typed)
        await page.click("form.search button")
        await expect(page.locator(f"#participant-results tr[data-participant='{participant_id}']")).to_be_visible()
        await expect(page.locator("#participant-results")).to_have_attribute("aria-live", "polite")
        assert nik not in page.url and not full_niks_in(await page.content())
    await shoot(page, shots, "participants-search")

    # "My claims", by status, and its CSV.
    await page.goto(f"{c.url}/claims?mine=1&status=needs_review")
    await expect(page.locator(f"table.claims-list tr[data-claim='{claim_id}']")).to_contain_text(full_name)
    assert set(
        await page.locator("table.claims-list tr[data-claim]").evaluate_all("rows => rows.map(r => r.dataset.status)")
    ) == {"needs_review"}
    await shoot(page, shots, "my-claims")
    async with page.expect_download() as download:
        await page.click("a[data-action=export]")
    exported = Path(await (await download.value).path()).read_text(encoding="utf-8")
    assert claim_id in exported and full_name in exported and "perlu ditinjau" in exported
    assert not full_niks_in(exported)

    # The claim's page names its next step; the printable summary for the family.
    await page.goto(f"{c.url}/claims/{claim_id}")
    await expect(page.locator("[data-next-step]")).to_have_attribute("data-next-step", "add_documents")
    await page.click("a[data-action=print]")
    await expect(page.locator("h1")).to_contain_text(claim_id)
    await expect(page.locator("[data-claim-status]")).to_have_text("perlu ditinjau")
    await shoot(page, shots, "claim-print")

    # Back on the claim, the officer adds the missing documents there; the rules then approve it.
    await page.goto(f"{c.url}/claims/{claim_id}")
    for kind, number in {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}.items():
        row = page.locator(f"form.documents-form tr[data-document={kind}]")
        if await row.count():
            await row.locator(f"input[name=docnum_{kind}]").fill(number)
    await page.click("button[data-action=add-documents]")
    await expect(page.locator("p.flash")).to_contain_text("ditambahkan")
    await expect(page.locator("[data-claim-status]")).to_have_attribute(
        "data-claim-status", "payout_recorded", timeout=SLOW
    )


@contextlib.asynccontextmanager
async def first_message_held(notifications_app, seconds: float) -> AsyncIterator[None]:
    """Notifications holds "claim received" for `seconds`, as it does outside the suite
    (NOTIFICATIONS_FIRST_MESSAGE_HOLD_SECONDS; the suite sends at once)."""
    from services.notifications.handlers import make_claim_handlers

    runtime = notifications_app.state.runtime
    consumer = next(x for x in runtime.consumers if x.name == "notifications.claims")
    before = consumer.handlers["ClaimFiled"]
    consumer.handlers["ClaimFiled"] = make_claim_handlers(runtime.settings.phone_channel, seconds)["ClaimFiled"]
    try:
        yield
    finally:
        consumer.handlers["ClaimFiled"] = before


async def test_a_claim_filed_in_error_and_withdrawn_within_minutes_reaches_no_family(stack, shots):
    p, c, browser = stack
    today = makassar_today()
    phone = f"0812{uuid.uuid4().int % 10**8:08d}"
    spouse = {"full_name": "Muh. Ridwan", "relationship": "spouse", "phone": phone}
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[spouse]
    )
    async with first_message_held(p.notifications.app, 600):
        # Filed for the wrong person, with one document: the rules refer it for the rest.
        filed = await p.claims.post(
            "/v1/claims", json=claim_form(participant_id, "JKM", today, {"participant_card": "KPJ-26-0001"})
        )
        claim_id = filed.json()["claim_id"]
        await wait_for_status(p.claims, claim_id, "needs_review")

        async def held() -> bool:
            queued = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
            return bool(queued) and all(m["status"] == "pending" for m in queued)

        await wait_until(held, 30, "the held 'claim received' message")

    page = await signed_in(browser, c.url, "supervisor", "rahma.supervisor")
    await page.goto(f"{c.url}/claims/{claim_id}")
    await expect(page.locator("[data-next-step]")).to_have_attribute("data-next-step", "add_documents")
    await expect(page.locator("form.documents-form tr[data-document=death_certificate]")).to_be_visible()
    await page.locator("details.withdraw summary").click()
    await page.fill("form.withdrawal textarea[name=reason]", "diajukan untuk peserta yang salah")
    await page.click("button[data-action=withdraw]")
    await expect(page.locator("p.flash")).to_contain_text("ditarik")
    await expect(page.locator("[data-claim-status]")).to_have_attribute("data-claim-status", "withdrawn")
    await expect(page.locator("[data-claim-status]")).to_have_text("ditarik")

    async def cancelled() -> bool:
        queued = (await p.notifications.get("/v1/notifications", params={"claim_id": claim_id})).json()
        return {m["status"] for m in queued} == {"cancelled"}

    await wait_until(cancelled, 30, "notifications to cancel the held message")
    await expect(page.locator("tr[data-about=ClaimFiled]")).to_have_attribute("data-status", "cancelled", timeout=SLOW)
    await expect(page.locator("[data-next-step]")).to_have_attribute("data-next-step", "")
    await shoot(page, shots, "claim-withdrawn")
    # Nothing went to the family's phone, and nothing is waiting to go.
    assert f"+62{phone[1:]}" not in (await p.provider.get("/_requests")).text
    audit = await p.claims.app.state.runtime.pool.fetch(
        "SELECT actor, action FROM claims.audit_log WHERE subject_id = $1 ORDER BY id", claim_id
    )
    assert [(r["actor"], r["action"]) for r in audit][-1] == ("rahma.supervisor", "claim.withdraw")


@contextlib.asynccontextmanager
async def service_down(console_app, service: str) -> AsyncIterator[None]:
    """The console can no longer reach `service` (its address now leads nowhere)."""
    settings = console_app.state.runtime.settings
    field = f"{service}_base_url"
    before = getattr(settings, field)
    object.__setattr__(settings, field, "http://127.0.0.1:9")
    try:
        yield
    finally:
        object.__setattr__(settings, field, before)


async def test_with_a_service_down_forms_keep_their_data_searches_fail_aloud_and_panels_go_stale(stack, shots):
    p, c, browser = stack
    today = makassar_today()
    participant_id = await covered_participant(
        p.enrollment, p.claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
    )
    full_name = (await p.enrollment.get(f"/v1/participants/{participant_id}")).json()["full_name"]
    filed = await p.claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {"participant_card": "KPJ-26-0001"})
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(p.claims, claim_id, "needs_review")
    page = await signed_in(browser, c.url, "officer", "rina.officer")

    # A filled form, and claims stops answering: the form stays as typed and says whom to wait for.
    await page.goto(f"{c.url}/claims/new?participant_id={participant_id}&q={quote(full_name)}")
    await page.fill("input[name=incident_date]", today.isoformat())
    await page.fill("input[name=incident_place]", "Pasar Terong, Bontoala")
    await page.fill("input[name=cause]", "serangan jantung di rumah")
    await page.fill("input[name=reporter_name]", "Muh. Ridwan")
    async with service_down(c.app, "claims"):
        await page.click("button[data-action=check]")
        await expect(page.locator("[data-banner]")).to_contain_text("Layanan klaim sedang tidak menjawab")
        await expect(page.locator("input[name=cause]")).to_have_value("serangan jantung di rumah")
        await expect(page.locator("input[name=incident_place]")).to_have_value("Pasar Terong, Bontoala")
        await shoot(page, shots, "claim-form-service-down")

    # A search while enrollment is down says it failed, rather than finding nobody.
    await page.goto(f"{c.url}/participants")
    async with service_down(c.app, "enrollment"):
        await page.fill("form.search input[name=q]", "Sitti")
        await page.click("form.search button")
        await expect(page.locator("#participant-results [data-search-failed]")).to_contain_text("Pencarian gagal")

    # A claim's live panel marks itself stale while claims does not answer, and recovers.
    await page.goto(f"{c.url}/claims/{claim_id}")
    async with service_down(c.app, "claims"):
        await expect(page.locator("#claim-live")).to_have_attribute("data-stale", "", timeout=15_000)
        await expect(page.locator("#claim-live [data-stale-note]")).to_be_visible()
        PROBLEMS[page].clear()  # htmx reports each failed refresh on the console: expected here
        await page.screenshot(path=shots / "claim-stale.png", full_page=True)
    await expect(page.locator("#claim-live")).not_to_have_attribute("data-stale", "", timeout=15_000)
    PROBLEMS[page].clear()


async def test_after_signing_in_again_the_officer_returns_to_the_page_they_were_on(stack):
    p, c, browser = stack
    page = await signed_in(browser, c.url, "officer", "rina.officer")
    await page.goto(f"{c.url}/participants?q=Sitti")
    await page.context.clear_cookies()  # the session is gone (signed out elsewhere, or expired)
    await page.goto(f"{c.url}/participants?q=Sitti")
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    await page.fill("textarea[name=token]", token("officer", "rina.officer"))
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/participants\?q=Sitti$"))
    await expect(page.locator("link[rel=stylesheet]")).to_have_count(1)  # a page, not a fragment


# --- operators -------------------------------------------------------------------------------------------------


def enrollment_event(payload: EventPayload, participant_id: str) -> OutgoingRecord:
    envelope = new_envelope(payload, correlation_id=participant_id, producer="enrollment")
    return OutgoingRecord(PARTICIPANTS.name, participant_id, envelope.to_bytes(), envelope.kafka_headers())


@contextlib.asynccontextmanager
async def producer_for(kafka_bootstrap: str) -> AsyncIterator[EventProducer]:
    producer = EventProducer(kafka_bootstrap, client_id="test-browser")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def committed_at_the_end(kafka_bootstrap: str, group_id: str, topic: str) -> None:
    """A consumer group that has read `topic` to its end and then stopped: no members left."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group_id, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        await consumer.commit({tp: await consumer.position(tp) for tp in partitions})
    finally:
        await consumer.stop()


@contextlib.asynccontextmanager
async def prerequisites_waited_for(app, consumer_name: str, seconds: float) -> AsyncIterator[None]:
    """A running service's consumer gives up on a missing prerequisite after `seconds` (the
    default two minutes would hold the test that long)."""
    consumer = next(x for x in app.state.runtime.consumers if x.name == consumer_name)
    before, consumer.wait_for_prerequisites_seconds = consumer.wait_for_prerequisites_seconds, seconds
    try:
        yield
    finally:
        consumer.wait_for_prerequisites_seconds = before


async def test_an_operator_sees_a_poison_message_replays_a_fixed_one_and_lag_returns_to_zero(
    stack, shots, kafka_bootstrap
):
    p, c, browser = stack
    unique = uuid.uuid4().hex[:8]
    participant_id, full_name, today = f"P-{unique}", f"Daeng Ngai {unique}", makassar_today()
    page = await signed_in(browser, c.url, "operator", "rudi.operator")
    # Short waits for the whole test: a failure half-way leaves no event for later tests to wait on.
    async with (
        prerequisites_waited_for(p.claims.app, "claims.participants", 6),
        producer_for(kafka_bootstrap) as producer,
    ):
        # A group that should read the participants topic but has no members (its process is
        # down): the coverage change below waits for it. Named on Flows, never folded, never green.
        idle_group = f"claims.stopped-{unique}"
        await committed_at_the_end(kafka_bootstrap, idle_group, PARTICIPANTS.name)
        # A script's garbage on claims' topic, a NIK in it; and a coverage change that
        # overtook the enrolment it depends on.
        await producer.send_all(
            [OutgoingRecord(CLAIMS_FILED.name, f"CL-junk-{unique}", b"ktp=7371034506920001 not an event", [])]
        )
        await producer.send_all(
            [
                enrollment_event(
                    CoverageChanged(
                        participant_id=participant_id,
                        status="active",
                        as_of=today,
                        last_paid_period=f"{today:%Y-%m}",
                        active_through=today + timedelta(days=20),
                        paid_months=1,
                        protected_periods=[ProtectedPeriod(start=today, end=today + timedelta(days=80))],
                    ),
                    participant_id,
                )
            ]
        )

        # Claims' participants consumer waits for the enrolment: its lag shows on the flows page.
        await page.goto(f"{c.url}/flows")
        stopped = page.locator(f"tr[data-group='{idle_group}']")
        await expect(stopped).to_have_attribute("data-concern", "no_members_lagging", timeout=10_000)
        await expect(stopped).to_be_visible()
        await expect(page.locator("p.summary")).not_to_have_attribute("data-health", "green")
        await expect(page.locator("p.summary")).not_to_have_attribute("data-worst", "")
        # Claims' own participants consumer does not lag behind the early coverage change: it parks it
        # (issue 15: waiting without stalling) and goes on; the idle group above is what keeps Flows red.
        await shoot(page, shots, "flows-lagging")

        # Claims gave up waiting and dead-lettered it; the flow went on.
        await reload_until(page, f"{c.url}/dlq/{PARTICIPANTS.dlq}", f"article.letter:has-text('{participant_id}')")

        await page.goto(f"{c.url}/dlq/{CLAIMS_FILED.dlq}")
        junk = page.locator("article.letter", has_text=f"CL-junk-{unique}")
        # One card: every consumer group of the services reading the topic could not read it.
        readers = [
            c.name
            for client in (p.claims, p.notifications)
            for c in client.app.state.runtime.consumers
            if CLAIMS_FILED in c.topics
        ]
        await expect(junk).to_have_attribute("data-copies", str(len(readers)))
        await expect(junk.locator("table.copies")).to_contain_text("claims.verification")
        await expect(junk.locator("table.copies")).to_contain_text("notifications.claims")
        await expect(junk.locator(".reason").first).to_contain_text("not a Jaring envelope")
        await junk.locator("details:not(.confirm) > summary").click()
        await expect(junk.locator("pre.payload")).to_contain_text("ktp=7371************")
        assert not full_niks_in(await page.content())
        await shoot(page, shots, "dlq-poison")
        await junk.locator("input[name=reason]").fill("bytes from a broken import script, not an event")
        await junk.locator("button[data-action=discard]").click()
        await expect(page.locator("p.flash")).to_contain_text("Dibuang")
        await expect(page.locator("article.letter", has_text=f"CL-junk-{unique}")).to_have_count(0)

        # The missing enrolment arrives: the dead-lettered coverage change can now be applied.
        await producer.send_all(
            [
                enrollment_event(
                    ParticipantEnrolled(
                        participant_id=participant_id,
                        details=ParticipantDetails(
                            masked_nik="7371************",
                            full_name=full_name,
                            birth_date=date(1980, 3, 7),
                            sex="M",
                            phone="+6281234500007",
                            kecamatan="Mariso",
                            segment="daily_worker",
                            monthly_income=1_500_000,
                            programs=["JKK", "JKM"],
                            member_since=today,
                        ),
                        heirs=[
                            HeirData(
                                heir_id=f"H-{unique}",
                                full_name="Sitti Aminah",
                                relationship="spouse",
                                precedence=1,
                                phone="+6281234500008",
                            )
                        ],
                    ),
                    participant_id,
                )
            ]
        )
        await claims_knows(p.claims, participant_id, full_name, "not_started")

        await page.goto(f"{c.url}/dlq/{PARTICIPANTS.dlq}")
        fixed = page.locator("article.letter", has_text=participant_id)
        await expect(fixed.locator(".reason")).to_contain_text("prerequisite never arrived")
        await shoot(page, shots, "dlq")
        await fixed.locator("details.replay summary").click()
        await expect(fixed.locator("details.replay form p")).to_contain_text("salinan")
        await fixed.locator("button[data-action=replay]").click()
        await expect(page.locator("p.flash")).to_contain_text(f"Diputar ulang ke {PARTICIPANTS.name}")
        await claims_knows(p.claims, participant_id, full_name, "active")

        # Every group reading the topic has read the replayed record: lag is back to zero.
        await page.goto(f"{c.url}/flows")
        for group in ("claims.participants", "notifications.participants", f"{c.name}.index.{PARTICIPANTS.name}"):
            await expect(page.locator(f"tr[data-group='{group}']")).to_have_attribute(
                "data-total-lag", "0", timeout=20_000
            )
            await expect(page.locator(f".diagram [data-node='{group}']")).to_have_class(re.compile("caught-up"))
        await expect(page.locator("p.summary")).to_have_attribute("data-total-lag", "0", timeout=20_000)
        await shoot(page, shots, "flows")

        await page.goto(f"{c.url}/dlq/{PARTICIPANTS.dlq}")
        await expect(page.locator("table.audit")).to_contain_text("dlq.replay")
        await expect(page.locator("table.audit")).to_contain_text("rudi.operator")

        # From the participant's trace to the very message on its topic, payload masked.
        await page.goto(f"{c.url}/trace?q={participant_id}")
        link = page.locator("table.events tr[data-event-type=ParticipantEnrolled] a[data-message-link]")
        await link.click()
        await expect(page).to_have_url(
            re.compile(r"/messages\?topic=enrollment\.participants\.v1&partition=\d+&offset=\d+")
        )
        shown = page.locator("table.records tr.here")
        await expect(shown).to_contain_text(participant_id)
        await expect(shown).to_contain_text("Peserta didaftarkan")
        await shown.locator("summary").click()
        await expect(shown.locator("pre.payload")).to_contain_text(full_name)
        assert not full_niks_in(await page.content())
        await shoot(page, shots, "messages")


async def test_an_officer_is_refused_on_the_dead_letter_page(stack, shots):
    _p, c, browser = stack
    page = await signed_in(browser, c.url, "officer", "rina.officer")
    answer = await page.goto(f"{c.url}/dlq")
    assert answer.status == 403
    await expect(page.locator("[data-refused]")).to_contain_text("Akses ditolak")
    await expect(page.locator("[data-refused]")).to_contain_text("officer")
    await expect(page.locator("article.letter")).to_have_count(0)
    await shoot(page, shots, "refused")

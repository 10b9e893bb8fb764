"""Every console page, as each role that may see it, through axe-core at a desk's (1280×800) and a
phone's (390×844) size: no critical or serious violation, nothing scrolls sideways (issue 18).
The pages test_console_in_chromium.py walks through are checked there; this file visits the rest
(grievances, money, proactive claims, campaign, claim lists, the printable summary, …), with the
grievances service in the stack so its queue is a real one, not an error page."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect

from tests.browser.test_console_in_chromium import PROBLEMS, accessible, chromium, signed_in
from tests.support.claimants import JKM_DEATH_DOCUMENTS, MARRIAGE_BOOK, wait_for_status
from tests.support.console import console, served
from tests.support.families import families, family_with_claim, local_form

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap, database_url, tmp_path_factory):
    async with (
        families(kafka_bootstrap, database_url, tmp_path_factory.mktemp("every-page")) as f,
        served(f.p.enrollment.app) as enrollment_url,
        served(f.p.claims.app) as claims_url,
        served(f.p.notifications.app) as notifications_url,
        served(f.grievances_app) as grievances_url,
        console(
            kafka_bootstrap,
            database_url,
            claims_url=claims_url,
            enrollment_url=enrollment_url,
            notifications_url=notifications_url,
            grievances_url=grievances_url,
            name=f"console_{uuid.uuid4().hex[:8]}",
        ) as c,
        chromium() as browser,
    ):
        yield f, c, browser


async def test_every_console_page_passes_axe_at_a_desks_and_a_phones_size_for_each_role_that_sees_it(stack):
    f, c, browser = stack
    # A paid claim (a decision, payees, a timeline) and an open grievance about it, so the lists have rows.
    claim_id, widow, _son, participant_id = await family_with_claim(f, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    await wait_for_status(f.p.claims, claim_id, "payout_recorded", timeout=60)
    await f.claim_in_read_model(claim_id, "payout_recorded")  # grievances takes one only about a claim it knows
    filed = await f.grievances.post(
        "/v1/grievances",
        json={
            "category": "rejected_claim",
            "claim_id": claim_id,
            "text": "Keluarga membawa buku nikah ke kantor.",
            "contact_phone": local_form(widow),
        },
    )
    assert filed.status_code == 201, filed.text

    pages = {
        "officer": [
            "/review",
            "/grievances",
            "/grievances?overdue=true",
            "/claims/new",
            "/claims?mine=1",
            "/claims",
            "/participants",
            f"/participants/{participant_id}",
            "/proactive",
            "/campaign",
            f"/claims/{claim_id}",
            f"/claims/{claim_id}/print",
            "/money",
        ],
        "supervisor": [
            "/review",
            "/grievances",
            "/claims",
            "/proactive",
            "/campaign",
            "/money",
            "/sla",
            "/stuck",
            "/trace",
            f"/trace?q={claim_id}",
            f"/claims/{claim_id}",
        ],
        "operator": ["/flows", "/dlq", "/messages", "/trace", "/stuck", "/sla", "/money"],
    }
    checked, failed = [], []
    for role, paths in pages.items():
        page = await signed_in(browser, c.url, role, f"axe.{role}")
        for path in paths:
            answer = await page.goto(f"{c.url}{path}")
            # Each page is really there for this role (officers are refused the money page: a 403 page is checked too).
            expected = 403 if (role, path) == ("officer", "/money") else 200
            assert answer is not None and answer.status == expected, f"{role} {path}: {answer and answer.status}"
            await expect(page.locator("main")).to_be_visible()
            try:  # every page's violations in one run, not only the first page's
                await accessible(page, f"{role} {path}")
            except AssertionError as violation:
                failed.append(str(violation).splitlines()[0])
            checked.append(f"{role} {path}")
        assert PROBLEMS.get(page, []) == [], f"the browser complained on {role}'s pages: {PROBLEMS[page]}"
        await page.context.close()
    assert failed == []
    assert len(checked) == 13 + 11 + 7

"""axe-core on the pages a backer sees, after their scripts have run, and screenshots to look at."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

AXE = Axe()
# Every rule axe runs by default: WCAG 2.x A and AA, and its best practices.
PAGES = {
    "home": "/",
    "home (en)": "/en/",
    "campaign": "/campaigns/premier-album/",
    "campaign (en, JPY)": "/en/campaigns/tokyo-zine/",
    "ended campaign": "/campaigns/atelier-clos/",
    "update": "/campaigns/premier-album/updates/2026-11-20-studio/",
    "embed": "/campaigns/premier-album/embed/",
}


def settle(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")  # the live stats are in


def assert_no_violation(page: Page) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_axe_violation(page: Page, path: str):
    settle(page, path)
    assert_no_violation(page)


def test_no_axe_violation_on_the_thanks_page(page: Page):
    # A real pledge, so the page shows its filled state (amount, status, referral link).
    page.goto("/campaigns/premier-album/")
    page.locator("#reward-digital").get_by_role("button").click()
    page.wait_for_url("**/_cagnotte/checkout/*")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/thanks/?session_id=*")
    expect(page.locator("[data-pledge-facts]")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert_no_violation(page)


def test_no_axe_violation_in_dark_mode(new_context):
    page = new_context(color_scheme="dark").new_page()
    settle(page, "/campaigns/premier-album/")
    assert_no_violation(page)


VIEWPORTS = {
    "phone": dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True),
    "desktop": dict(viewport={"width": 1280, "height": 800}),
}
VIEWPORTS["phone-dark"] = dict(VIEWPORTS["phone"], color_scheme="dark")
VIEWPORTS["desktop-dark"] = dict(VIEWPORTS["desktop"], color_scheme="dark")


@pytest.mark.parametrize("name", VIEWPORTS)
def test_campaign_page_screenshots(new_context, artifacts, name: str):
    page = new_context(**VIEWPORTS[name]).new_page()
    settle(page, "/campaigns/premier-album/")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[name]["viewport"]["width"]
    path = artifacts(f"campaign-{name}.png")
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("name", ("phone", "desktop"))
def test_home_page_screenshots(new_context, artifacts, name: str):
    page = new_context(**VIEWPORTS[name]).new_page()
    settle(page, "/en/")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[name]["viewport"]["width"]
    path = artifacts(f"home-{name}.png")
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 10_000

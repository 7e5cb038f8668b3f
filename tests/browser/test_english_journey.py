"""An English backer on a French site: every step of the journey speaks English.

The fixture site is French with an English translation. The backer opens the
English campaign page, pledges, pays in the local checkout, lands on the English
thanks page, gets an English confirmation in serve's outbox, opens the manage
page from it and changes the amount as English writes it (``1,040.50``).
"""

from __future__ import annotations

import email
import re
import time
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from .test_pledging import pay

CAMPAIGN = "/en/campaigns/premier-album/"
FRENCH = re.compile(r"Merci|contribution|Mode test|Payer|carte enregistrée|Annuler")


def confirmation_for(outbox: Path, pledge_id: str) -> email.message.EmailMessage:
    """The confirmation serve's outbox holds for this pledge (serve sends within seconds of the webhook)."""
    for _ in range(300):
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["X-Cagnotte-Kind"] == "confirmation" and pledge_id in message.get_body(("plain",)).get_content():
                return message
        time.sleep(0.1)
    raise AssertionError(f"no confirmation for {pledge_id} in {outbox}")


def test_an_english_backer_goes_from_the_page_to_the_manage_page_in_english(page: Page, served):
    page.goto(CAMPAIGN)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    card = page.locator("#reward-vinyl")
    expect(card.locator('input[name="lang"]')).to_have_value("en")
    card.get_by_role("button").click()

    # The checkout speaks English and writes the amount the English way.
    page.wait_for_url("**/_cagnotte/checkout/*")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Test mode — no card is charged.")).to_be_visible()
    expect(page.get_by_text("€37.50").first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lina's first album")
    assert not FRENCH.search(page.locator("main").inner_text())
    session = pay(page)

    # Back on the English thanks page, not the French one.
    assert urlsplit(page.url).path == CAMPAIGN + "thanks/"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    facts = page.locator("[data-pledge-facts]")
    expect(facts.locator('[data-field="amount"]')).to_contain_text("€37.50")
    share = page.locator("[data-share] a")
    expect(share).to_be_visible()
    assert urlsplit(share.get_attribute("href")).path == CAMPAIGN
    pledge = page.request.get(f"/api/pledges/{session}").json()

    # The confirmation is in English, with English links.
    message = confirmation_for(served.site / ".cagnotte" / "outbox", pledge["pledge_id"])
    text = message.get_body(("plain",)).get_content()
    assert "Content-Language" not in message or message["Content-Language"] == "en"
    assert "€37.50" in text and "Lina's first album" in text
    assert not FRENCH.search(message["Subject"] + text), message["Subject"]
    assert f"{CAMPAIGN}?ref={pledge['ref_code']}" in text

    # The manage page (from the thanks page's private link) is English too, and reads English amounts.
    manage = page.locator("[data-manage] a")
    expect(manage).to_be_visible()
    manage.click()
    page.wait_for_url("**/api/manage/**")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("€37.50").first).to_be_visible()
    assert not FRENCH.search(page.locator("main").inner_text())
    form = page.locator("form").filter(has=page.locator('input[name="amount"]')).first
    form.locator('input[name="amount"]').fill("1,040.50")
    form.get_by_role("button").click()
    expect(page.get_by_text("€1,040.50").first).to_be_visible()
    assert page.request.get(f"/api/pledges/{session}").json()["amount"] == 104050

"""A backer's path in a real browser, from `cagnotte serve`'s pages to its local test checkout.

The server lives for the whole session, so each test reads the counters it
starts from and checks how they move.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import APIRequestContext, Page, Response, expect

CAMPAIGN = "/campaigns/premier-album/"


class Cached:
    """When the browser may next ask again for an API answer it has cached.

    The stats and referral answers carry ``Cache-Control: public, max-age=5``
    (DESIGN §6), so for a few seconds the browser reuses them. A backer spends
    longer than that in Stripe's Checkout; the test pays in a second, so before
    coming back it waits out what the browser may keep.
    """

    def __init__(self, page: Page, fragment: str):
        self.page, self.fragment, self.until = page, fragment, 0.0
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        if self.fragment in response.url:
            found = re.search(r"max-age=(\d+)", response.headers.get("cache-control", ""))
            self.until = max(self.until, time.monotonic() + (int(found.group(1)) if found else 0))

    def wait_out(self) -> None:
        left = self.until - time.monotonic()
        if left > 0:
            self.page.wait_for_timeout(left * 1000 + 100)


def stats(api: APIRequestContext, slug: str) -> dict:
    response = api.get(f"/api/campaigns/{slug}/stats", headers={"Cache-Control": "no-cache"})
    assert response.ok, response.text()
    return response.json()


def pay(page: Page) -> str:
    """Pay in the local test checkout (its fields are prefilled); returns the session id from the thanks URL."""
    expect(page.get_by_text(re.compile("Test mode — no card is charged|Mode test — aucune carte n’est débitée"))).to_be_visible()
    if page.locator('select[name="country"]').count():
        page.locator('select[name="country"]').select_option("FR")
        page.locator('input[name="line1"]').fill("1 rue de la Paix")
        page.locator('input[name="city"]').fill("Lyon")
        page.locator('input[name="postal_code"]').fill("69001")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/thanks/?session_id=*")
    return parse_qs(urlsplit(page.url).query)["session_id"][0]


def test_a_backer_pledges_for_a_reward_and_sees_the_counter_move(page: Page):
    api = page.request
    cached = Cached(page, "/api/campaigns/premier-album/stats")
    before = stats(api, "premier-album")
    page.goto(CAMPAIGN)
    backers = page.locator('[data-stat="backers"]')
    expect(backers).to_have_text(str(before["backers"]))  # the live script filled it from the stats

    page.locator("#reward-vinyl").get_by_role("button").click()
    page.wait_for_url("**/_cagnotte/checkout/*")
    expect(page.get_by_text("37,50\u00a0€").first).to_be_visible()
    session = pay(page)

    # The thanks page shows the pledge and the backer's own referral link.
    facts = page.locator("[data-pledge-facts]")
    expect(facts).to_be_visible()
    expect(facts.locator('[data-field="amount"]')).to_contain_text("37,50")
    share = page.locator("[data-share] a")
    expect(share).to_be_visible()
    pledge = api.get(f"/api/pledges/{session}").json()
    assert pledge["status"] == "pledged" and pledge["reward"] == "vinyl"
    link = urlsplit(share.get_attribute("href"))
    assert (link.path, parse_qs(link.query)) == (CAMPAIGN, {"ref": [pledge["ref_code"]]})

    # Back on the campaign page, the counter has moved.
    cached.wait_out()
    page.get_by_role("link", name="Premier album de Lina").click()
    page.wait_for_url(f"**{CAMPAIGN}")
    expect(backers).to_have_text(str(before["backers"] + 1))
    after = stats(api, "premier-album")
    assert after["raised"] == before["raised"] + 3750
    # the card says how many chose it, and how many are left, in words
    chose = next(r["backers"] for r in after["rewards"] if r["id"] == "vinyl")
    expect(page.locator('#reward-vinyl [data-reward-backers="vinyl"]')).to_have_text(
        f"{chose} contributeur l’a choisie" if chose == 1 else f"{chose} contributeurs l’ont choisie")
    expect(page.locator('#reward-vinyl [data-stat="remaining"]')).to_have_text(re.compile(r"^Limité : \d+ restants? sur 300$"))


def test_a_pledge_through_a_referral_link_counts_for_the_backer_who_shared_it(page: Page, new_context):
    api = page.request
    cached = Cached(page, "/api/referrals/")
    # The first backer pledges and gets a referral link.
    page.goto(CAMPAIGN)
    page.locator("#reward-digital").get_by_role("button").click()
    pay(page)
    share = page.locator("[data-share] a")
    expect(share).to_be_visible()
    link = urlsplit(share.get_attribute("href"))
    code = parse_qs(link.query)["ref"][0]
    assert api.get(f"/api/referrals/{code}").json()["pledges"] == 0
    total = page.locator("[data-referral-total]")
    expect(total).to_be_visible()
    shown_before = total.inner_text()

    # A friend opens it in another browser (the link names the public site: open it on serve).
    friend = new_context().new_page()
    friend.goto(f"{link.path}?{link.query}")
    ref_inputs = friend.locator('#reward-vinyl input[name="ref"]')
    expect(ref_inputs).to_have_value(code)  # carried into the pledge forms
    friend.locator("#reward-vinyl").get_by_role("button").click()
    pay(friend)
    expect(friend.locator("[data-pledge-facts]")).to_be_visible()

    referral = api.get(f"/api/referrals/{code}").json()
    assert (referral["pledges"], referral["raised"]) == (1, 3750)
    cached.wait_out()
    page.reload()
    expect(total).not_to_have_text(shown_before)
    expect(total).to_contain_text("37,50")


def test_a_sold_out_reward_cannot_be_chosen(page: Page):
    api = page.request
    # Hold every unit of the zine (limit 2) through the API: open Checkout sessions hold a unit each.
    for _ in range(3):
        response = api.post("/api/pledges", data={"campaign": "tokyo-zine", "reward": "zine"})
        if response.status == 409:
            break
        assert response.status == 201, response.text()
    assert response.status == 409
    assert stats(api, "tokyo-zine")["rewards"][0]["remaining"] == 0

    page.goto("/en/campaigns/tokyo-zine/")
    card = page.locator("#reward-zine")
    expect(card.locator('[data-stat="remaining"][data-reward="zine"]')).to_have_text("Sold out")
    expect(card.get_by_role("button")).to_be_disabled()


def test_a_pledge_works_without_javascript(new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    answers: list[tuple[str, str, int]] = []
    page.on("response", lambda r: answers.append((r.request.method, urlsplit(r.url).path, r.status)))

    page.goto(CAMPAIGN)
    page.locator("#reward-digital").get_by_role("button").click()
    page.wait_for_url("**/_cagnotte/checkout/*")
    session = page.url.rsplit("/", 1)[1]
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/thanks/?session_id=*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci !")

    assert ("POST", "/api/pledges", 303) in answers
    assert ("POST", f"/_cagnotte/checkout/{session}/pay", 303) in answers
    pledge = context.request.get(f"/api/pledges/{session}").json()
    assert (pledge["status"], pledge["reward"], pledge["amount"]) == ("pledged", "digital", 1000)

"""The campaign page in a real browser: the rewards within reach on a phone, the video loaded
only on the click (and nothing from its host before), the embed snippet folded away."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
STUB = "<!doctype html><title>player</title><p>stub player</p>"


def test_on_a_phone_the_rewards_are_within_two_screens_and_the_jump_link_reaches_them(new_context):
    page = new_context(**PHONE).new_page()
    page.goto("/campaigns/premier-album/")
    page.wait_for_load_state("networkidle")
    first = page.locator("#rewards .reward").first
    top = first.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
    assert top < 2 * 844, top  # it was ~6,100 px down, below the embed code
    jump = page.locator(".funding a[href='#rewards']")
    assert jump.evaluate("el => el.getBoundingClientRect().top + window.scrollY") < 844  # on the first screen
    jump.click()
    expect(page).to_have_url(re.compile(r"/campaigns/premier-album/#rewards$"))
    expect(page.locator("#rewards-title")).to_be_in_viewport()
    story = page.locator("#story").evaluate("el => el.getBoundingClientRect().top + window.scrollY")
    assert top < story  # the offers before the long read


def test_the_video_loads_its_player_only_on_the_click(page: Page):
    asked: list[str] = []

    def outside(route: Route) -> None:  # nothing leaves the machine: the player is a stub
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
            return
        asked.append(route.request.url)
        if route.request.url.startswith("https://player.vimeo.com/"):
            route.fulfill(status=200, content_type="text/html", body=STUB)
        else:
            route.abort()

    page.route("**/*", outside)
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto("/en/campaigns/tokyo-zine/")
    page.wait_for_load_state("networkidle")
    assert [url for url in seen if "vimeo" in url] == []  # not a byte from the host before the click
    facade = page.locator("a.video-facade")
    expect(facade).to_have_attribute("href", "https://vimeo.com/76979871")
    facade.click()
    frame = page.locator("iframe.video-frame")
    expect(frame).to_have_attribute("src", "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1")
    expect(frame).to_have_attribute("title", "A Tokyo <zine> & notes")
    expect(page.frame_locator("iframe.video-frame").locator("p")).to_have_text("stub player")
    assert asked == ["https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"]
    expect(page.locator("a.video-facade")).to_have_count(0)
    assert page.url.endswith("/en/campaigns/tokyo-zine/")  # the click did not follow the link


def test_the_embed_snippet_is_folded_away_until_asked_for(page: Page):
    page.goto("/campaigns/premier-album/")
    code = page.locator("textarea#embed-code")
    expect(code).to_be_hidden()
    page.get_by_text("Intégrer cette campagne à votre site").click()
    expect(code).to_be_visible()
    expect(code).to_have_value(
        '<iframe src="https://fund.example.org/campaigns/premier-album/embed/" title="Premier album de Lina" '
        'width="360" height="660" loading="lazy" style="border:0;max-width:100%"></iframe>')


def test_live_home_cards_fill_their_progress_bar_from_the_live_figures(page: Page):
    def stats(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json",
                      body='{"raised": 425025, "goal": 850050, "backers": 3, "currency": "EUR"}')

    page.route("**/campaigns/premier-album/stats", stats)
    page.goto("/en/")
    bar = page.locator("progress[data-card-progress='premier-album']")
    expect(bar).to_have_js_property("value", 50)
    expect(bar).to_have_accessible_name("Funding progress")
    expect(page.locator("progress[data-card-progress='tokyo-zine']")).to_have_js_property("value", 0)

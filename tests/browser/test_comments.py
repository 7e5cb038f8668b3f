"""Comments in a real browser, through `cagnotte serve`: a visitor's comment waits for the link
in serve's outbox and then shows; a backer comments from the manage page and gets the badge."""

from __future__ import annotations

import email
import re
import time
import uuid
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from .test_pledging import Cached, pay

CAMPAIGN = "/campaigns/premier-album/"


def confirm_link_to(outbox: Path, address: str) -> str:
    """The comment's confirm link serve mailed to ``address`` (sent within a second of the post)."""
    for _ in range(300):
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["X-Cagnotte-Kind"] == "comment_confirm" and message["To"] == address:
                text = message.get_body(("plain",)).get_content()
                return re.search(r"https?://\S+/api/comments/confirm/\S+", text).group(0)
        time.sleep(0.1)
    raise AssertionError(f"no comment confirmation for {address} in {outbox}")


def comment_named(page: Page, name: str):
    return page.locator(".comment").filter(has=page.locator(".comment-name", has_text=name))


def test_a_visitor_comment_shows_once_its_mailed_link_is_confirmed(page: Page, served):
    name, address = f"Ana {uuid.uuid4().hex[:6]}", f"ana-{uuid.uuid4().hex[:6]}@example.org"
    cached = Cached(page, "/api/campaigns/premier-album/comments")
    page.goto(CAMPAIGN)
    form = page.locator("[data-comment-form]")
    form.get_by_label("Votre nom (affiché)").fill(name)
    form.get_by_label("Votre commentaire", exact=True).fill("Hâte d’écouter ! <b>pas du HTML</b> https://example.org/lina")
    form.get_by_label(re.compile("Votre e-mail")).fill(address)
    form.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Presque fini : nous vous avons envoyé un e-mail.")).to_be_visible()

    link = confirm_link_to(served.site / ".cagnotte" / "outbox", address)
    page.goto(urlsplit(link)._replace(scheme="", netloc="").geturl())  # serve's own origin
    page.get_by_role("button", name="Publier mon commentaire").click()
    expect(page.get_by_text("C’est publié : votre commentaire est sur la page de la campagne.")).to_be_visible()
    cached.wait_out()
    page.get_by_role("link", name="Retour à la campagne").click()
    page.wait_for_url(f"**{CAMPAIGN}#comments")
    shown = comment_named(page, name)
    expect(shown).to_have_count(1)
    expect(shown.locator(".comment-text")).to_contain_text("<b>pas du HTML</b>")  # as text, never as markup
    expect(shown.locator(".comment-text b")).to_have_count(0)
    expect(shown.locator('.comment-text a[rel="nofollow ugc noopener"]')).to_have_attribute(
        "href", "https://example.org/lina")
    expect(shown.locator(".badge-backer")).to_have_count(0)


def test_a_backer_comments_from_the_manage_page_with_a_backer_badge(page: Page):
    name = f"Béa {uuid.uuid4().hex[:6]}"
    cached = Cached(page, "/api/campaigns/premier-album/comments")
    page.goto(CAMPAIGN)
    page.locator("#reward-vinyl").get_by_role("button").click()
    page.wait_for_url("**/_cagnotte/checkout/*")
    session = pay(page)
    manage = page.request.get(f"/api/pledges/{session}").json()["manage_url"]
    page.goto(urlsplit(manage)._replace(scheme="", netloc="").geturl())
    form = page.locator("[data-backer-comment]")
    form.get_by_label("Votre nom (affiché)").fill(name)
    form.get_by_label("Votre commentaire", exact=True).fill("Vinyle commandé, bravo Lina !")
    form.get_by_role("button", name="Publier").click()
    expect(page.get_by_text(re.compile("votre commentaire est sur la page de la campagne"))).to_be_visible()
    cached.wait_out()  # the list the page read first may be kept for 10 s
    page.get_by_role("link", name="Retour à la campagne").click()
    page.wait_for_url(f"**{CAMPAIGN}#comments")
    shown = comment_named(page, name)
    expect(shown).to_have_count(1)
    expect(shown.locator(".badge-backer")).to_have_text("Contributeur")
    expect(shown.locator(".comment-text")).to_have_text("Vinyle commandé, bravo Lina !")

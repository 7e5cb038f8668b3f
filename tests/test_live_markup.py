"""The server-rendered side of live progress, the funding chart, sharing and the embed card.

What the page scripts (js/live.js, chart.js, copy.js, pledge.js) find in the built
HTML: the ``data-`` hooks, honest placeholders, translated strings for the
browser, share links built at build time, and no inline script anywhere (the
production CSP has no ``unsafe-inline``). The behaviour in a browser is covered
by tests/browser/.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import FIXTURE, NOW
from generator.build import build

BASE = "https://fund.example.org"
ZINE_TITLE = "A Tokyo <zine> & notes"
NETWORKS = {
    "email": "mailto:",
    "x": "https://twitter.com/intent/tweet?",
    "facebook": "https://www.facebook.com/sharer/sharer.php?",
    "linkedin": "https://www.linkedin.com/sharing/share-offsite/?",
    "whatsapp": "https://wa.me/?",
    "bluesky": "https://bsky.app/intent/compose?",
}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text = ""

    def has(self, name: str, value: str | None = None) -> bool:
        return name in self.attrs and (value is None or self.attrs[name] == value)

    def all(self, predicate) -> list["Node"]:
        found = []
        for child in self.children:
            if predicate(child):
                found.append(child)
            found.extend(child.all(predicate))
        return found

    def find(self, tag: str | None = None, **attrs: str | None) -> list["Node"]:
        """Descendants with ``tag`` and these attributes (``data_stat="raised"``; None: present)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return self.all(lambda n: (tag is None or n.tag == tag) and all(n.has(k, v) for k, v in wanted.items()))

    def one(self, tag: str | None = None, **attrs: str | None) -> "Node":
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def content(self) -> str:
        return self.text + "".join(child.content() for child in self.children)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Tree(HTMLParser):
    """A small DOM: enough to ask which element holds which hook."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#root", {}, None)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        if self.current.children:  # text after a child element: keep it in reading order
            tail = Node("#text", {}, self.current)
            tail.text = data
            self.current.children.append(tail)
        else:
            self.current.text += data


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("live") / "site"
    shutil.copytree(FIXTURE, root)
    build(root, now=NOW, jobs=1)
    return root / "_site"


def page(out: Path, rel: str) -> Node:
    return Tree((out / rel).read_text(encoding="utf-8")).root


def test_campaign_page_has_every_stats_hook_with_honest_placeholders(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    for name in ("raised", "percent", "backers"):
        assert doc.one(data_stat=name).content() == "—", name
    progress = doc.one(data_stat="progress")
    assert progress.tag == "progress" and "value" not in progress.attrs  # an empty track, not a made-up 0 %
    assert doc.one(data_stat="percent").attrs["data-format"] == "{n}%"
    collected = doc.one(data_stat="collected")
    assert collected.content() == "—"
    assert doc.one(data_collected=None).has("hidden")  # shown by the script after the deadline only
    stats = doc.one("div", data_live=None)
    assert (stats.attrs["data-campaign"], stats.attrs["data-currency"], stats.attrs["data-goal"]) == ("premier-album", "EUR", "850050")
    assert any(n.has("aria-live", "polite") for n in doc.find("dl")), "the figures are a live region"


def test_time_left_is_written_at_build_and_kept_fresh_by_the_browser_with_every_plural_form(out):
    left = page(out, "en/campaigns/premier-album/index.html").one(data_stat="time-left")
    # Without JavaScript: the count as of the build (the nightly build keeps it to the day);
    # the script recounts from data-ends, so a page built days ago never shows a stale one.
    assert left.content() == "19 days left"
    assert left.attrs["data-ends"] == "2026-12-15T23:59:59+01:00"
    assert (left.attrs["data-days-one"], left.attrs["data-days-other"]) == ("{n} day left", "{n} days left")
    assert (left.attrs["data-hours-one"], left.attrs["data-hours-other"]) == ("Ends in {n} hour", "Ends in {n} hours")
    assert left.attrs["data-minutes-other"] == "Ends in {n} minutes" and left.attrs["data-ended"] == "Ended"
    french = page(out, "campaigns/premier-album/index.html").one(data_stat="time-left")
    assert (french.attrs["data-days-one"], french.attrs["data-days-other"]) == ("{n} jour restant", "{n} jours restants")
    assert french.attrs["data-ended"] == "Terminée" and french.content() == "19 jours restants"


def test_each_limited_reward_has_its_remaining_hook_and_a_pledge_button(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    vinyl = doc.one("article", id="reward-vinyl")
    remaining = vinyl.one(data_stat="remaining", data_reward="vinyl")
    assert remaining.content() == "Limited to 300"  # without JavaScript: the limit in plain words
    assert (remaining.attrs["data-one"], remaining.attrs["data-other"], remaining.attrs["data-sold-out"]) == \
        ("Limited: {n} of 300 left", "Limited: {n} of 300 left", "Sold out")
    assert len(vinyl.find("button")) == 1 and vinyl.one("button").attrs["type"] == "submit"
    chose = vinyl.one(data_reward_backers="vinyl")
    assert chose.has("hidden") and chose.attrs["data-other"] == "{n} backers chose it"
    digital = doc.one("article", id="reward-digital")
    assert digital.find(data_stat="remaining") == []  # unlimited: nothing to count down
    assert digital.one(data_reward_backers="digital")  # but its backers are counted
    french = page(out, "campaigns/tokyo-zine/index.html").one(data_stat="remaining", data_reward="zine")
    assert (french.attrs["data-one"], french.attrs["data-other"], french.attrs["data-sold-out"]) == \
        ("Limité : {n} restant sur 2", "Limité : {n} restants sur 2", "Épuisé")


def test_stretch_goals_carry_their_amount_and_reached_ones_are_marked(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    [goal] = doc.find("li", data_stretch=None)
    assert goal.attrs["data-stretch"] == "1200000" and "data-reached" not in goal.attrs
    assert goal.one("span", hidden=None).content() == "Reached"  # shown by the script once reached


def test_funding_chart_container_and_its_sentences(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    section = doc.one("section", id="funding-chart")
    assert section.has("hidden")  # nothing to show without JavaScript
    chart = section.one(data_chart=None)
    assert chart.tag == "figure" and chart.one(data_chart_summary=None).has("aria-live", "polite")
    assert chart.attrs["data-starts"] == "2026-11-01T10:00:00+01:00" and chart.attrs["data-timezone"] == "Europe/Paris"
    # what was raised, never a verdict on how the campaign will end (that is for the creator's digest)
    assert not any(name.startswith("data-summary") for name in chart.attrs)
    assert "would reach" not in (out / "en/campaigns/premier-album/index.html").read_text()
    assert chart.attrs["data-past-one"] == "{raised} raised in {n} day."
    assert chart.attrs["data-empty"].startswith("No pledges yet")
    french = page(out, "campaigns/premier-album/index.html").one(data_chart=None)
    assert french.attrs["data-past-other"] == "{raised} collectés en {n} jours."


def test_campaigns_with_final_figures_show_them_and_no_live_parts(out):
    doc = page(out, "en/campaigns/atelier-clos/index.html")
    assert doc.find(data_live=None) == [] and doc.find(data_stat=None) == []
    assert doc.find(data_chart=None) == []
    assert not any("chart." in (n.attrs.get("src") or "") for n in doc.find("script"))


def share_links(doc: Node) -> dict[str, str]:
    return {a.attrs["data-share-network"]: a.attrs["href"] for a in doc.find("a", data_share_network=None)}


def test_share_links_are_plain_links_with_the_absolute_url_encoded(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    url = f"{BASE}/en/campaigns/premier-album/"
    links = share_links(doc)
    assert set(links) == set(NETWORKS)
    for network, prefix in NETWORKS.items():
        assert links[network].startswith(prefix), network
    assert parse_qs(urlsplit(links["facebook"]).query) == {"u": [url]}
    assert parse_qs(urlsplit(links["linkedin"]).query) == {"url": [url]}
    assert parse_qs(urlsplit(links["x"]).query) == {"text": ["Lina's first album"], "url": [url]}
    assert parse_qs(urlsplit(links["whatsapp"]).query)["text"] == [f"Lina's first album {url}"]
    assert parse_qs(urlsplit(links["bluesky"]).query)["text"] == [f"Lina's first album {url}"]
    mail = parse_qs(urlsplit(links["email"]).query)
    assert mail["subject"] == ["Lina's first album"] and mail["body"][0].endswith("\n\n" + url)
    for network, href in links.items():
        assert " " not in href and "\n" not in href, network
    for a in doc.find("a", data_share_network=None):
        if a.attrs["data-share-network"] != "email":
            assert a.attrs.get("rel") == "noopener"
    copy = doc.one("button", data_copy=url)
    assert copy.has("hidden") and copy.attrs["type"] == "button"  # shown by copy.js, where it works
    assert copy.parent.one(data_copy_status=None).has("role", "status")


def test_share_links_escape_and_encode_what_the_creator_wrote(out):
    text = (out / "en/campaigns/tokyo-zine/index.html").read_text(encoding="utf-8")
    links = share_links(Tree(text).root)
    assert "A%20Tokyo%20%3Czine%3E%20%26%20notes" in links["x"]
    assert parse_qs(urlsplit(links["x"]).query)["text"] == [ZINE_TITLE]
    assert "<zine>" not in text.split("<title>")[1]  # and nothing unescaped reached the markup
    assert "&body=" not in text and "&url=" not in text  # ampersands in attributes are written &amp;


def test_leaderboard_only_where_the_creator_opted_in(out):
    zine = page(out, "en/campaigns/tokyo-zine/index.html")
    board = zine.one("section", data_leaderboard=None)
    assert board.has("hidden") and board.attrs["data-campaign"] == "tokyo-zine"  # filled and shown by live.js
    assert board.one("tbody", data_leaderboard_rows=None).children == []
    for rel in ("en/campaigns/premier-album/index.html", "campaigns/premier-album/index.html"):
        assert page(out, rel).find(data_leaderboard=None) == [], rel


class Iframe(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.attrs: dict = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.attrs = dict(attrs)


@pytest.mark.parametrize("rel, src, title", [
    ("en/campaigns/premier-album/index.html", f"{BASE}/en/campaigns/premier-album/embed/", "Lina's first album"),
    ("campaigns/tokyo-zine/index.html", f"{BASE}/campaigns/tokyo-zine/embed/", ZINE_TITLE),
])
def test_embed_snippet_is_an_escaped_iframe_with_a_copy_button(out, rel, src, title):
    doc = page(out, rel)
    area = doc.one("textarea", id="embed-code")
    assert area.has("readonly")
    snippet = area.content()  # what a creator copies: HTML, escaped once for itself
    iframe = Iframe(snippet).attrs
    assert (iframe["src"], iframe["title"], iframe["loading"]) == (src, title, "lazy")
    assert iframe["width"].isdigit() and iframe["height"].isdigit()
    assert doc.one("button", data_copy_target="embed-code").has("hidden")
    assert doc.one("label", **{"for": "embed-code"})


def test_embed_card_has_the_same_stats_hooks_and_the_live_script(out):
    doc = page(out, "en/campaigns/premier-album/embed/index.html")
    for name in ("raised", "percent", "backers", "progress", "time-left"):
        assert len(doc.find(data_stat=name)) == 1, name
    scripts = [s.attrs["src"] for s in doc.find("script")]
    assert [re.sub(r"\.[0-9a-f]{10}\.js$", ".js", s) for s in scripts] == ["/static/js/format.js", "/static/js/live.js"]


def test_thanks_page_referral_total_and_the_single_link_of_the_share_box(out):
    doc = page(out, "en/campaigns/premier-album/thanks/index.html")
    share = doc.one(data_share=None)
    assert len(share.find("a")) == 1  # the backer's link, filled by pledge.js
    total = share.one(data_referral_total=None)
    assert total.has("hidden") and total.content() == ""
    assert total.attrs["data-one"] == "Your link has brought {n} pledge: {raised}."
    assert total.attrs["data-other"] == "Your link has brought {n} pledges: {raised}."
    assert total.attrs["data-none"]
    copy = share.one("button", data_copy="")
    assert copy.has("hidden")
    assert set(share_links(doc)) == set(NETWORKS)  # outside the box; pledge.js puts the backer's link in them
    [links] = doc.find("ul", data_share_links=None)
    assert unquote(links.attrs["data-share-url"]) == f"{BASE}/en/campaigns/premier-album/"


SCRIPT = re.compile(r"^/static/js/[a-z]+\.[0-9a-f]{10}\.js$")


class Scripts(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.inline_attrs: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        self.inline_attrs += [f"{tag}[{k}]" for k in a if k == "style" or k.startswith("on")]


def test_no_inline_script_or_style_anywhere_and_every_script_is_fingerprinted(out):
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    referenced = set()
    for path in pages:
        found = Scripts(path.read_text(encoding="utf-8"))
        rel = path.relative_to(out).as_posix()
        assert found.inline_attrs == [], rel
        for script in found.scripts:
            assert script.get("src"), f"{rel}: an inline <script> (the CSP forbids it)"
            assert SCRIPT.match(script["src"]), (rel, script["src"])
            assert "defer" in script, (rel, script["src"])
            assert (out / script["src"].lstrip("/")).is_file(), (rel, script["src"])
            referenced.add(re.sub(r"\.[0-9a-f]{10}\.js$", ".js", script["src"]))
    assert referenced == {f"/static/js/{n}.js" for n in ("format", "pledge", "live", "chart", "copy", "video", "cards",
                                                          "comments")}


def test_scripts_are_loaded_in_dependency_order_on_the_campaign_page(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    names = [re.sub(r"^/static/js/|\.[0-9a-f]{10}\.js$", "", s.attrs["src"]) for s in doc.find("script")]
    assert names == ["format", "pledge", "chart", "live", "copy", "comments"]  # format first; chart before live calls it
    thanks = page(out, "en/campaigns/premier-album/thanks/index.html")
    names = [re.sub(r"^/static/js/|\.[0-9a-f]{10}\.js$", "", s.attrs["src"]) for s in thanks.find("script")]
    assert names == ["format", "pledge", "copy"]

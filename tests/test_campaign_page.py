"""The campaign page a backer wants to back: the creator's avatar, the video behind a facade,
the rewards right after the progress block, the embed snippet out of the way, home cards
with progress and days left."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from conftest import FIXTURE, NOW, write
from generator.build import build
from generator.content.video import player_url
from test_live_markup import page
from test_validation import GOOD, check, problems

CAMPAIGN = "content/campaigns/essai/index.md"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("look") / "site"
    shutil.copytree(FIXTURE, root)
    build(root, now=NOW, jobs=1)
    return root / "_site"


# -- creator.image -----------------------------------------------------------------------

def test_the_creator_avatar_is_a_small_square_picture_beside_the_name(out):
    doc = page(out, "campaigns/premier-album/index.html")
    byline = doc.one("p", **{"class": "byline"})
    img = byline.one("img")
    assert img.attrs["alt"] == "Lina" and img.attrs["width"] == img.attrs["height"] == "96"
    assert img.attrs["sizes"] == "3rem" and img.attrs["loading"] == "lazy"
    webp = byline.one("source", type="image/webp").attrs["srcset"]
    assert re.fullmatch(r"/campaigns/premier-album/lina-96\.\w{10}\.webp 96w, "
                        r"/campaigns/premier-album/lina-192\.\w{10}\.webp 192w", webp)
    for url in re.findall(r"(/campaigns/\S+)\s\d+w", webp + ", " + img.attrs["srcset"]):
        with Image.open(out / url.lstrip("/")) as made:
            assert made.width == made.height in (96, 192), url  # the centre square of a portrait
    assert "by Lina" in page(out, "en/campaigns/premier-album/index.html").one(
        "p", **{"class": "byline"}).content()


def test_a_missing_creator_image_is_a_problem_on_its_line(cli, site):
    text = GOOD.replace('creator: { name: "Lina" }', 'creator:\n  name: "Lina"\n  image: lina.jpg')
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert code == 1
    assert problems(site, lines) == [f"{CAMPAIGN}:6: creator.image 'lina.jpg' not found beside index.md"]


def test_a_creator_image_elsewhere_is_a_problem(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace('{ name: "Lina" }', '{ name: "Lina", image: ../me.jpg }')))
    assert problems(site, lines) == [f"{CAMPAIGN}:4: 'creator.image' must be a file name beside index.md, not '../me.jpg'"]


# -- video ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, player", [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"),
    ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"),
    ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"),
    ("https://framatube.org/w/9c9de5e8-0a1e-484a-b099-e80766180a6d",
     "https://framatube.org/videos/embed/9c9de5e8-0a1e-484a-b099-e80766180a6d?autoplay=1"),
    ("https://peertube.example/videos/watch/kkGMgK9ZtnKfYAgnEtQxbv", "https://peertube.example/videos/embed/kkGMgK9ZtnKfYAgnEtQxbv?autoplay=1"),
    ("https://www.dailymotion.com/video/x8abcd", None),
    ("https://www.youtube.com/channel/UC123", None),
    ("https://vimeo.com/channels/staffpicks", None),
])
def test_each_known_host_has_its_privacy_friendly_player(url, player):
    assert player_url(url) == player


def test_the_video_is_a_facade_that_asks_nothing_of_its_host_before_the_click(out):
    html = (out / "en/campaigns/tokyo-zine/index.html").read_text()
    doc = page(out, "en/campaigns/tokyo-zine/index.html")
    facade = doc.one("a", **{"class": "video-facade"})
    assert facade.attrs["href"] == "https://vimeo.com/76979871"  # without JavaScript: a link to the video
    assert facade.attrs["data-video"] == "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"
    assert "Watch the video" in facade.content()
    assert facade.find("img") == []  # no thumbnail from the host: the typographic placeholder
    assert not doc.find("iframe")
    sources = re.findall(r'\s(?:src|srcset|href|poster)="([^"]*)"', html)
    assert [s for s in sources if "vimeo" in s] == ["https://vimeo.com/76979871"]  # the link only
    third_party = [s for s in re.findall(r'\ssrc(?:set)?="([^"]*)"', html) if not s.startswith("/")]
    assert third_party == []  # every src of the page is the site's own
    scripts = [s.attrs["src"] for s in doc.find("script")]
    assert any(re.match(r"/static/js/video\.\w{10}\.js$", s) for s in scripts)
    album = page(out, "campaigns/premier-album/index.html")
    assert not album.find("a", **{"class": "video-facade"})  # no video: no facade, no script
    assert not any("video." in s.attrs["src"] for s in album.find("script"))


def test_the_facade_shows_the_hero_when_there_is_one(site):
    index = site / "content/campaigns/premier-album/index.md"
    index.write_text(index.read_text().replace('image_alt: "Une pochette bleue"\n',
                                               'image_alt: "Une pochette bleue"\nvideo: "https://youtu.be/dQw4w9WgXcQ"\n'))
    build(site, now=NOW, jobs=1)
    doc = page(site / "_site", "campaigns/premier-album/index.html")
    facade = doc.one("a", **{"class": "video-facade"})
    assert facade.attrs["data-video"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
    img = facade.one("img")
    assert img.attrs["alt"] == "" and img.attrs["fetchpriority"] == "high"  # the link's text names it
    assert "ytimg" not in (site / "_site/campaigns/premier-album/index.html").read_text()


def test_a_video_from_an_unknown_host_is_a_problem_on_its_line(cli, site):
    text = GOOD.replace("funding: all_or_nothing", 'funding: all_or_nothing\nvideo: "https://www.dailymotion.com/video/x8abcd"')
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert code == 1
    assert problems(site, lines) == [
        f"{CAMPAIGN}:9: 'video' must be the address of a YouTube, Vimeo or PeerTube video, "
        "not 'https://www.dailymotion.com/video/x8abcd'"]


def test_the_video_is_documented():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "campaign-format.md").read_text()
    assert "youtube-nocookie.com" in docs and "PeerTube" in docs and "creator.image" in docs


# -- the page's order -----------------------------------------------------------------------

def test_the_rewards_come_right_after_the_progress_block_and_the_embed_is_last_and_closed(out):
    html = (out / "campaigns/premier-album/index.html").read_text()
    funding, rewards, story = (html.index(s) for s in ('class="funding"', 'id="rewards"', 'id="story"'))
    assert funding < rewards < story
    doc = page(out, "campaigns/premier-album/index.html")
    jump = doc.one("section", **{"class": "funding"}).one("a", href="#rewards")
    assert jump.content() == "Choisir une contrepartie" and "button" in jump.attrs["class"]
    embed = doc.one("details", id="embed")
    assert "open" not in embed.attrs
    assert embed.one("summary").content() == "Intégrer cette campagne à votre site"
    assert embed.one("textarea", id="embed-code")
    assert html.index('id="embed"') > html.index('id="updates"')  # after everything else


def test_a_reward_card_leads_with_its_price(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    card = doc.one("article", id="reward-vinyl")
    first = card.children[0]
    assert first.attrs["class"] == "reward-price"
    assert first.one("span", **{"class": "reward-amount"}).content() == "€32.50"
    assert first.one("span", **{"class": "reward-min"}).content() == "or more"


def test_the_progress_block_shows_the_days_left_beside_the_figures(out):
    doc = page(out, "en/campaigns/premier-album/index.html")
    stats = doc.one("div", **{"class": "stats"})
    assert stats.one("div", **{"class": "figure figure-days"}).one(data_stat="time-left").content() == "19 days left"


def test_live_home_cards_have_a_progress_bar_and_the_days_left(out):
    doc = page(out, "en/index.html")
    bars = doc.find("progress", data_card_progress=None)
    assert sorted(b.attrs["data-card-progress"] for b in bars) == ["premier-album", "tokyo-zine"]
    assert all("value" not in b.attrs for b in bars)  # js/cards.js fills them: never a made-up figure
    days = [d.one("dd").content() for d in doc.find("div", **{"class": "fact-days"})]
    assert days and all(re.fullmatch(r"(\d+ days? left|Last day)", d.strip()) for d in days), days
    assert any(re.match(r"/static/js/cards\.\w{10}\.js$", s.attrs["src"]) for s in doc.find("script"))

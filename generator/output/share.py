"""The share card of a campaign: the picture a link preview shows (og:image).

1200×630 (the size Facebook, LinkedIn, X and messaging apps crop the least): the
hero image cropped to cover, a dark gradient for contrast, the campaign's title
(wrapped, at most three lines), its creator, its goal in the page's language
and currency, and the site's name.

The text is set in DejaVu Sans, shipped with the theme (``fonts/``, free
licence beside it): a font from the machine would make the card differ from one
computer to the next, and Pillow's built-in font changes with Pillow and has no
bold. Pillow's basic layout is used even where Raqm is installed, for the same
reason. DejaVu covers Latin, Greek and Cyrillic; a theme can ship other fonts
under the same names (a CJK font for titles in Japanese, say).
"""

from __future__ import annotations

import functools

import hashlib
from io import BytesIO

WIDTH, HEIGHT = 1200, 630
FORMAT = "jpeg"  # a photograph under text: a JPEG is a tenth of the PNG
QUALITY = 85
FONTS = {"bold": "fonts/DejaVuSans-Bold.ttf", "regular": "fonts/DejaVuSans.ttf"}
MARGIN = 72
MAX_LINES = 3
TITLE_SIZES = (68, 62, 56, 50, 46)
ACCENT = (10, 107, 92)  # the theme's --accent
SHADE = (8, 12, 14)

def fonts(theme) -> dict[str, tuple[str, str]]:
    """name → (font file, sha256 of its bytes), each found through the theme chain."""
    found = {}
    for name, rel in FONTS.items():
        path = next((d / rel for d in theme.dirs if (d / rel).is_file()), None)
        if path is None:
            raise FileNotFoundError(f"the theme has no {rel} (the share cards' font)")
        found[name] = (str(path), hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def card_texts(site, theme, slug: str, lang: str) -> dict[str, str]:
    """The words on a campaign's card in ``lang`` (what the card's bytes depend on, besides the image)."""
    from generator.render.env import translations
    from generator.render.formats import Formatters

    campaign = site.campaigns[lang][slug]
    gettext = translations(theme, lang).gettext
    money = Formatters(lang, site.config.timezone, site.now).money
    return {
        "site": site.config.title,
        "title": campaign.title,
        "by": gettext("by %(name)s") % {"name": campaign.creator.name},
        "goal_label": gettext("Goal"),
        "goal": money(campaign.goal, campaign.currency),
    }


def card_alt(texts: dict[str, str], image_alt: str) -> str:
    """The card's text alternative: what it says, then what its picture shows."""
    alt = f"{texts['title']} — {texts['by']} — {texts['goal_label']} {texts['goal']}"
    return f"{alt}. {image_alt}" if image_alt else alt


def draw(image, texts: dict[str, str], faces: dict[str, str]) -> bytes:
    """The card's bytes (JPEG). ``image`` is the decoded hero, upright and in sRGB, or None
    for a typographic card: the same words on the theme's colour, darkening to the shade."""
    from PIL import Image, ImageDraw, ImageOps

    if image is None:
        # The background, the site's name and the goal's label are the same on every typographic
        # card of a site and language: drawn once per worker, copied for each card.
        card = _typographic_base(texts["site"], texts["goal_label"], faces["bold"], faces["regular"]).copy()
    else:
        if image.mode in ("RGBA", "LA"):  # transparent parts over the shade, not over black
            base = Image.new("RGB", image.size, SHADE)
            base.paste(image, mask=image.getchannel("A"))
        else:
            base = image.convert("RGB") if image.mode != "RGB" else image
        card = ImageOps.fit(base, (WIDTH, HEIGHT), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
        card = Image.composite(Image.new("RGB", card.size, SHADE), card, _gradient())
        _draw_fixed(ImageDraw.Draw(card), texts["site"], texts["goal_label"], faces["bold"], faces["regular"])
    pen = ImageDraw.Draw(card)
    bold = _font(faces["bold"])
    regular = _font(faces["regular"])
    width = WIDTH - 2 * MARGIN

    # From the bottom up: the creator and the goal, then the title above them.
    bottom = HEIGHT - 60
    goal_font = bold(44)
    goal = _fit(texts["goal"], goal_font, width // 2)
    pen.text((WIDTH - MARGIN, bottom), goal, font=goal_font, fill=(255, 255, 255), anchor="rs")
    goal_width = int(goal_font.getlength(goal))
    by_font = regular(32)
    pen.text((MARGIN, bottom), _fit(texts["by"], by_font, width - goal_width - 48), font=by_font,
             fill=(236, 235, 232), anchor="ls")

    size, lines = _title_lines(texts["title"], bold, width)
    font = bold(size)
    step = round(size * 1.16)
    y = bottom - 100 - step * (len(lines) - 1)
    for line in lines:
        pen.text((MARGIN, y), line, font=font, fill=(255, 255, 255), anchor="ls")
        y += step

    buffer = BytesIO()
    # A typographic card is flat colour and text: the optimiser passes gain little and cost most of its time.
    card.save(buffer, "JPEG", quality=QUALITY, optimize=image is not None, progressive=image is not None)
    return buffer.getvalue()


def _draw_fixed(pen, site: str, goal_label: str, bold_face: str, regular_face: str) -> None:
    """What every card of a site and language shows: the site's name, top left, after a small
    mark in the theme's colour, and the goal's label above where the goal goes."""
    bold, regular = _font(bold_face), _font(regular_face)
    width = WIDTH - 2 * MARGIN
    pen.rounded_rectangle((MARGIN, 54, MARGIN + 16, 70), radius=4, fill=ACCENT)
    pen.text((MARGIN + 28, 62), _fit(site, regular(28), width - 28), font=regular(28),
             fill=(236, 235, 232), anchor="lm")
    label = _fit(goal_label.upper(), regular(24), width // 2)
    pen.text((WIDTH - MARGIN, HEIGHT - 60 - 52), label, font=regular(24), fill=(200, 230, 222), anchor="rs")


@functools.lru_cache(maxsize=8)
def _typographic_base(site: str, goal_label: str, bold_face: str, regular_face: str):
    """The background of a site's typographic cards in one language, with its fixed words
    (made once per worker: a build may draw thousands)."""
    from PIL import Image, ImageDraw

    base = Image.composite(Image.new("RGB", (WIDTH, HEIGHT), SHADE), Image.new("RGB", (WIDTH, HEIGHT), ACCENT),
                           _diagonal())
    _draw_fixed(ImageDraw.Draw(base), site, goal_label, bold_face, regular_face)
    return base


def _diagonal():
    """The shade's opacity for a typographic card: the accent at the top right, deep at the bottom left."""
    from PIL import Image

    small = Image.new("L", (120, 63))
    small.putdata([round(255 * min(1.0, 0.35 + 0.65 * ((63 - y) / 63 * 0.4 + (1 - x / 120) * 0.6)))
                   for y in range(63) for x in range(120)])
    return small.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)


def _gradient():
    """The shade's opacity per row: light at the top (the site's name), dark at the bottom."""
    from PIL import Image

    column = Image.new("L", (1, HEIGHT))
    values = []
    for y in range(HEIGHT):
        top = max(0.0, 1 - y / 150) * 0.55
        t = max(0.0, (y - HEIGHT * 0.15) / (HEIGHT * 0.6))
        bottom = 0.9 * min(1.0, t) ** 0.9
        values.append(round(255 * max(top, bottom)))
    column.putdata(values)
    return column.resize((WIDTH, HEIGHT), Image.Resampling.NEAREST)


def _font(path: str):
    """``at(size)``: the face at ``path`` in that size, loaded once per process."""
    return functools.partial(_face, path)


@functools.lru_cache(maxsize=64)
def _face(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


def _title_lines(title: str, bold, width: int) -> tuple[int, list[str]]:
    """The largest size at which the title fits in three lines (else cut with an ellipsis)."""
    for size in TITLE_SIZES:
        lines = _wrap(title, bold(size), width)
        if len(lines) <= MAX_LINES:
            return size, lines
    size = TITLE_SIZES[-1]
    lines = _wrap(title, bold(size), width)
    kept = lines[:MAX_LINES]
    kept[-1] = _fit(kept[-1] + " " + " ".join(lines[MAX_LINES:]), bold(size), width, force=True)
    return size, kept


def _wrap(text: str, font, width: int) -> list[str]:
    """Greedy wrapping by words; a word longer than a line is cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > width:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def _fit(text: str, font, width: int, force: bool = False) -> str:
    """``text``, cut with an ellipsis if it is wider than ``width``."""
    if not force and font.getlength(text) <= width:
        return text
    text = text.rstrip()
    while text and font.getlength(text + "…") > width:
        # Whole words first; a single word too long for the line is cut.
        text = text.rsplit(" ", 1)[0].rstrip(" ,;:—-") if " " in text else text[:-1]
    return text + "…"


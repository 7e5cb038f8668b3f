"""site.yml's ``accent``: the colour tokens it gives the default theme, readable in light and dark.

The accent is the colour of buttons, links, amounts and the progress bar. Text
on it (``--on-accent``) is white or near-black, whichever contrasts more
(WCAG 2 relative luminance); the accent itself is used as text on the page, so
it must reach 4.5:1 against white there. In the dark scheme the same hue is
lightened until it reads on the dark page.
"""

from __future__ import annotations

import re

HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
TEXT = 4.5  # WCAG AA, normal text
WHITE, NEAR_BLACK, BLACK = (255, 255, 255), (0x1b, 0x1f, 0x23), (0, 0, 0)
# The default theme's page and card backgrounds (tokens.css), light and dark.
LIGHT_PAGE, LIGHT_CARD = (0xf8, 0xf7, 0xf4), WHITE
DARK_PAGE, DARK_CARD = (0x12, 0x14, 0x16), (0x1b, 0x1e, 0x22)

RGB = tuple[int, int, int]


def parse(value: str) -> RGB | None:
    """``#rgb`` or ``#rrggbb`` → (r, g, b); None for anything else."""
    if not HEX.match(value):
        return None
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def hex_of(rgb: RGB) -> str:
    return "#%02x%02x%02x" % rgb


def luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: RGB, b: RGB, share: float) -> RGB:
    """``share`` of ``b`` into ``a`` (0: a, 1: b), rounded to whole channels."""
    return tuple(round(x + (y - x) * share) for x, y in zip(a, b))  # type: ignore[return-value]


def on(colour: RGB) -> RGB:
    """The text colour for ``colour``: white or near-black, else black (one of white/black always reaches 4.5:1)."""
    best = max((WHITE, NEAR_BLACK), key=lambda t: contrast(colour, t))
    if contrast(colour, best) >= TEXT:
        return best
    return max((WHITE, BLACK), key=lambda t: contrast(colour, t))


def _readable_on(colour: RGB, backgrounds: tuple[RGB, ...], towards: RGB) -> RGB:
    """``colour`` moved towards ``towards`` in small steps until it reads as text on every background."""
    for step in range(0, 21):
        candidate = mix(colour, towards, step / 20)
        if all(contrast(candidate, bg) >= TEXT for bg in backgrounds):
            return candidate
    return towards


def _dark(rgb: RGB) -> RGB:
    """The accent of the dark scheme: the same hue, lightened until it reads on the dark page and its tint."""
    for step in range(0, 21):
        candidate = mix(rgb, WHITE, step / 20)
        if all(contrast(candidate, bg) >= TEXT for bg in (DARK_PAGE, DARK_CARD, _soft(candidate, DARK_PAGE, 0.2))):
            return candidate
    return WHITE


def _soft(colour: RGB, page: RGB, share: float) -> RGB:
    return mix(page, colour, share)


def problem(value: str) -> str | None:
    """Why ``value`` cannot be the accent, or None."""
    rgb = parse(value)
    if rgb is None:
        return f"'accent' must be a colour written #rgb or #rrggbb (such as #b4442c), not '{value}'"
    soft = _soft(rgb, WHITE, 0.1)
    worst = min(contrast(rgb, bg) for bg in (LIGHT_PAGE, LIGHT_CARD, soft))
    if worst < TEXT:
        darker = _readable_on(rgb, (LIGHT_PAGE, LIGHT_CARD, soft), BLACK)
        return (f"'accent' {value} is too light to read as text on the page ({worst:.1f}:1, links and amounts "
                f"need {TEXT}:1): try {hex_of(darker)}, the same hue darker")
    return None


def tokens(value: str) -> str:
    """The CSS custom properties that ``accent: value`` sets, light and dark (``value`` is valid)."""
    rgb = parse(value)
    assert rgb is not None
    light = _scheme(rgb, WHITE)
    dark = _scheme(_dark(rgb), DARK_PAGE)
    return (f"/* accent: {value} (site.yml) */\n:root {{ {light} }}\n"
            f"@media (prefers-color-scheme: dark) {{\n  :root {{ {dark} }}\n}}\n")


def _scheme(accent: RGB, page: RGB) -> str:
    text = on(accent)
    # Hovering moves away from the text colour, so the label keeps (or gains) contrast.
    hover = mix(accent, BLACK if luminance(text) > 0.5 else WHITE, 0.15)
    soft = _soft(accent, page, 0.1 if page == WHITE else 0.2)
    return (f"--accent: {hex_of(accent)}; --accent-hover: {hex_of(hover)}; "
            f"--on-accent: {hex_of(text)}; --accent-soft: {hex_of(soft)};")

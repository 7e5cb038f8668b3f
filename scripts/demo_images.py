#!/usr/bin/env python3
"""Draw the demo site's illustrative images into content/campaigns/<slug>/.

Pure shapes drawn with Pillow: no fonts, no downloads, no external assets.
Every random choice comes from a ``random.Random`` seeded per image, so a run
gives the same pictures each time (byte-identical with the same Pillow build).

    python scripts/demo_images.py            # writes every image
    python scripts/demo_images.py --only lina-premier-album

Each picture is drawn at twice its size and scaled down, which antialiases
the edges; covers are 1600x900 JPEG (quality 82, optimised, progressive).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGNS = ROOT / "content" / "campaigns"

SS = 2  # supersampling factor
COVER = (1600, 900)
MAX_BYTES = 150 * 1024

RGB = tuple[int, int, int]
Point = tuple[float, float]


# ---------------------------------------------------------------------------
# helpers


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    t = max(0.0, min(1.0, t))
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def gradient(size: tuple[int, int], stops: Sequence[tuple[float, str]], horizontal: bool = False) -> Image.Image:
    """A linear gradient through colour ``stops`` (position 0..1, hex colour)."""
    w, h = size
    n = w if horizontal else h
    colours = [(p, hex_rgb(c)) for p, c in stops]
    strip = Image.new("RGB", (n, 1) if horizontal else (1, n))
    px = strip.load()
    for i in range(n):
        t = i / max(1, n - 1)
        for (p0, c0), (p1, c1) in zip(colours, colours[1:]):
            if p0 <= t <= p1:
                colour = mix(c0, c1, (t - p0) / (p1 - p0 or 1))
                break
        else:
            colour = colours[-1][1] if t > colours[-1][0] else colours[0][1]
        px[(i, 0) if horizontal else (0, i)] = colour
    return strip.resize(size, Image.Resampling.BILINEAR)


def radial_glow(size: tuple[int, int], centre: Point, radius: float, colour: str, strength: float) -> Image.Image:
    """An RGBA layer holding a soft round glow."""
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cx, cy = centre
    r, g, b = hex_rgb(colour)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(r, g, b, round(255 * strength)))
    return layer.filter(ImageFilter.GaussianBlur(radius * 0.45))


def paste_layer(base: Image.Image, draw_fn: Callable[[ImageDraw.ImageDraw], None], blur: float = 0.0) -> None:
    """Draw on a transparent layer, optionally blur it, and composite it onto ``base``."""
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw_fn(ImageDraw.Draw(layer))
    if blur:
        layer = layer.filter(ImageFilter.GaussianBlur(blur))
    base.alpha_composite(layer)


def ridge(rng: random.Random, width: int, base_y: float, roughness: float, steps: int = 9) -> list[Point]:
    """A mountain ridge line by midpoint displacement, left to right across ``width``."""
    heights = [base_y + rng.uniform(-roughness, roughness), base_y + rng.uniform(-roughness, roughness)]
    spread = roughness
    for _ in range(steps):
        nxt: list[float] = []
        for a, b in zip(heights, heights[1:]):
            nxt += [a, (a + b) / 2 + rng.uniform(-spread, spread)]
        nxt.append(heights[-1])
        heights = nxt
        spread *= 0.55
    n = len(heights) - 1
    return [(width * i / n, y) for i, y in enumerate(heights)]


def paper_grain(img: Image.Image, seed: int, amount: int = 6) -> Image.Image:
    """A faint, low-frequency mottling, like paper (kept soft so JPEG stays small)."""
    rng = random.Random(seed)
    cell = 96 * SS
    small = Image.new("L", (img.width // cell + 2, img.height // cell + 2))
    small.putdata([128 + rng.randint(-amount, amount) for _ in range(small.width * small.height)])
    noise = small.resize((small.width * cell, small.height * cell), Image.Resampling.BICUBIC)
    noise = noise.crop((0, 0, *img.size)).filter(ImageFilter.GaussianBlur(cell / 3)).convert("RGB")
    grey = Image.new("RGB", img.size, (128, 128, 128))
    lighter = ImageChops.subtract(noise, grey)
    darker = ImageChops.subtract(grey, noise)
    return ImageChops.subtract(ImageChops.add(img.convert("RGB"), lighter), darker)


def save(img: Image.Image, path: Path, size: tuple[int, int]) -> None:
    """Scale down from the supersampled canvas and write a small progressive JPEG."""
    out = img.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    quality = 82
    while True:
        out.save(path, "JPEG", quality=quality, optimize=True, progressive=True)
        if path.stat().st_size <= MAX_BYTES or quality <= 60:
            break
        quality -= 4  # only if a drawing change ever makes a picture too heavy
    print(f"{path.relative_to(ROOT)}  {size[0]}x{size[1]}  {path.stat().st_size // 1024} KB  q{quality}")


# ---------------------------------------------------------------------------
# Lina Morel: a vinyl record rising like a moon over rooftops and sound waves


def draw_album(path: Path) -> None:
    rng = random.Random(2611)
    w, h = COVER[0] * SS, COVER[1] * SS
    img = gradient((w, h), [(0, "#0b1533"), (0.55, "#1b2a5c"), (1, "#2d3f78")]).convert("RGBA")
    img.alpha_composite(radial_glow((w, h), (w * 0.68, h * 0.36), h * 0.42, "#f2c66d", 0.22))

    def stars(d: ImageDraw.ImageDraw) -> None:
        for _ in range(70):
            x, y = rng.uniform(0, w), rng.uniform(0, h * 0.55)
            r = rng.uniform(1.5, 4.0)
            d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 240, 210, rng.randint(60, 170)))

    paste_layer(img, stars)

    # the record
    cx, cy, R = w * 0.68, h * 0.36, h * 0.27

    def record(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((cx - R, cy - R, cx + R, cy + R), fill=(14, 16, 28, 255))
        for i in range(34):
            rr = R * (0.36 + 0.62 * i / 33)
            shade = 30 + (i % 3) * 9
            d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=(shade, shade + 4, shade + 18, 255), width=SS)
        d.ellipse((cx - R * 0.33, cy - R * 0.33, cx + R * 0.33, cy + R * 0.33), fill=(226, 177, 84, 255))
        d.ellipse((cx - R * 0.24, cy - R * 0.24, cx + R * 0.24, cy + R * 0.24), outline=(245, 214, 150, 255), width=3 * SS)
        d.ellipse((cx - R * 0.035, cy - R * 0.035, cx + R * 0.035, cy + R * 0.035), fill=(14, 16, 28, 255))

    paste_layer(img, record)

    # a soft sheen across the grooves
    def sheen(d: ImageDraw.ImageDraw) -> None:
        d.pieslice((cx - R * 0.95, cy - R * 0.95, cx + R * 0.95, cy + R * 0.95), 200, 235, fill=(255, 255, 255, 34))
        d.pieslice((cx - R * 0.95, cy - R * 0.95, cx + R * 0.95, cy + R * 0.95), 20, 55, fill=(255, 255, 255, 20))

    paste_layer(img, sheen, blur=10 * SS)

    # golden sound waves that become hills
    def waves(d: ImageDraw.ImageDraw) -> None:
        for k in range(9):
            base = h * (0.60 + k * 0.028)
            amp = h * (0.07 - k * 0.005)
            phase = k * 0.55
            freq = 2.2 + k * 0.18
            pts = []
            for i in range(0, w + 8, 8):
                x = i / w
                envelope = 0.35 + 0.65 * math.sin(math.pi * x) ** 1.5
                y = base - amp * envelope * (math.sin(2 * math.pi * freq * x + phase) * 0.7 + math.sin(2 * math.pi * freq * 2.7 * x + phase * 2) * 0.3)
                pts.append((i, y))
            alpha = 230 - k * 18
            d.line(pts, fill=(240, 196, 110, alpha), width=(4 - k // 3) * SS, joint="curve")

    paste_layer(img, waves)
    paste_layer(img, waves, blur=12 * SS)

    # Croix-Rousse rooftops: tall narrow buildings stepping down the slope
    def roofs(d: ImageDraw.ImageDraw) -> None:
        x = -20.0
        while x < w:
            bw = rng.uniform(90, 190) * SS / 2 * 1.4
            slope = h * (0.80 + 0.10 * (1 - x / w))
            top = slope - rng.uniform(20, 110) * SS
            col = (9, 14, 34, 255)
            d.rectangle((x, top, x + bw, h), fill=col)
            if rng.random() < 0.6:  # pitched roof
                d.polygon([(x - 4, top), (x + bw / 2, top - bw * 0.22), (x + bw + 4, top)], fill=col)
            if rng.random() < 0.5:  # chimney
                cxm = x + rng.uniform(0.2, 0.7) * bw
                d.rectangle((cxm, top - bw * 0.3, cxm + 10 * SS, top), fill=col)
            for row in range(3):
                for colw in range(int(bw // (34 * SS))):
                    if rng.random() < 0.22:
                        wx = x + 12 * SS + colw * 34 * SS
                        wy = top + 18 * SS + row * 42 * SS
                        d.rectangle((wx, wy, wx + 12 * SS, wy + 18 * SS), fill=(242, 190, 96, rng.randint(150, 230)))
            x += bw + rng.uniform(-6, 4)

    paste_layer(img, roofs)
    save(img, path, COVER)


# ---------------------------------------------------------------------------
# Carnets de la Loire: an open book whose pages turn into a river


def watercolour_blob(d: ImageDraw.ImageDraw, rng: random.Random, cx: float, cy: float, rx: float, ry: float, rgba: tuple[int, int, int, int]) -> None:
    pts = []
    n = 28
    for i in range(n):
        a = 2 * math.pi * i / n
        k = rng.uniform(0.82, 1.12)
        pts.append((cx + math.cos(a) * rx * k, cy + math.sin(a) * ry * k))
    d.polygon(pts, fill=rgba)


def draw_loire(path: Path) -> None:
    rng = random.Random(1006)
    w, h = COVER[0] * SS, COVER[1] * SS
    img = gradient((w, h), [(0, "#cfe0ea"), (0.42, "#f4efe2"), (1, "#efe6d2")]).convert("RGBA")

    # washes of colour: distant hills and poplars, soft like wet paper
    def hills(d: ImageDraw.ImageDraw) -> None:
        line = ridge(rng, w, h * 0.40, h * 0.035, steps=7)
        d.polygon([(0, h), *line, (w, h)], fill=(150, 176, 150, 150))
        line2 = ridge(rng, w, h * 0.45, h * 0.02, steps=7)
        d.polygon([(0, h), *line2, (w, h)], fill=(120, 152, 118, 150))
        for _ in range(26):  # poplars along the far bank
            x = rng.uniform(0, w)
            y = h * rng.uniform(0.43, 0.47)
            hh = rng.uniform(40, 90) * SS
            watercolour_blob(d, rng, x, y - hh / 2, hh * 0.16, hh / 2, (88, 122, 92, 160))

    paste_layer(img, hills, blur=3 * SS)

    # the river: a meander from the horizon down into the book's gutter
    def river(d: ImageDraw.ImageDraw) -> None:
        top, bottom = h * 0.47, h * 0.70
        left_edge, right_edge = [], []
        steps = 80
        for i in range(steps + 1):
            t = i / steps
            y = top + (bottom - top) * t
            centre = w * 0.5 + math.sin(t * math.pi * 2.2 + 0.6) * w * 0.22 * (1 - t) ** 0.6
            half = (12 + 260 * t ** 1.3) * SS
            left_edge.append((centre - half, y))
            right_edge.append((centre + half, y))
        d.polygon(left_edge + right_edge[::-1], fill=(86, 140, 182, 235))
        # sandbanks
        for i in (22, 38, 55):
            x, y = left_edge[i]
            x2, _ = right_edge[i]
            watercolour_blob(d, rng, x + (x2 - x) * rng.uniform(0.3, 0.7), y, (x2 - x) * 0.18, 7 * SS, (232, 214, 170, 240))
        # light on the water
        for _ in range(40):
            i = rng.randint(10, steps - 1)
            x, y = left_edge[i]
            x2, _ = right_edge[i]
            sx = x + (x2 - x) * rng.uniform(0.15, 0.85)
            d.line([(sx, y), (sx + rng.uniform(14, 40) * SS, y)], fill=(225, 238, 246, 200), width=2 * SS)

    paste_layer(img, river, blur=1.5 * SS)

    # the open book
    gx, gy = w * 0.5, h * 0.70

    def book(d: ImageDraw.ImageDraw) -> None:
        pw, ph = w * 0.36, h * 0.30
        shadow = (60, 50, 40, 70)
        d.polygon([(gx - pw - 20 * SS, gy + 30 * SS), (gx + pw + 20 * SS, gy + 30 * SS), (gx + pw + 40 * SS, gy + ph + 40 * SS), (gx - pw - 40 * SS, gy + ph + 40 * SS)], fill=shadow)

    paste_layer(img, book, blur=18 * SS)

    def pages(d: ImageDraw.ImageDraw) -> None:
        pw, ph = w * 0.36, h * 0.30
        for side in (-1, 1):
            for k in range(5, -1, -1):  # stacked page edges
                off = k * 3 * SS
                edge = [(gx, gy + off)]
                for i in range(1, 41):
                    t = i / 40
                    edge.append((gx + side * pw * t, gy - math.sin(t * math.pi) * 26 * SS + 30 * SS * t + off))
                poly = edge + [(gx + side * (pw + 10 * SS), gy + ph + off), (gx, gy + ph + 14 * SS + off)]
                tone = 250 - k * 9
                d.polygon(poly, fill=(tone, tone - 6, tone - 20, 255))
        # gutter shadow
        for i in range(12):
            a = 90 - i * 7
            d.line([(gx + (i - 6) * 2 * SS, gy), (gx + (i - 6) * 2 * SS, gy + ph + 14 * SS)], fill=(120, 100, 80, max(0, a)), width=2 * SS)

    paste_layer(img, pages)

    # the river runs on across the pages as a painted meander, a watercolour wash
    centre = []
    for i in range(80):
        t = i / 79
        centre.append((gx + math.sin(t * math.pi * 1.7) * w * 0.13 * (0.35 + t * 0.65), gy + 24 * SS + t * h * 0.23, t))

    def band(d: ImageDraw.ImageDraw, scale: float, colour: tuple[int, int, int, int]) -> None:
        left, right = [], []
        for i, (x, y, t) in enumerate(centre):
            xa, ya, _ = centre[max(0, i - 1)]
            xb, yb, _ = centre[min(len(centre) - 1, i + 1)]
            dx, dy = xb - xa, yb - ya
            norm = math.hypot(dx, dy) or 1
            half = (7 + 28 * t) * SS * scale
            left.append((x - dy / norm * half, y + dx / norm * half))
            right.append((x + dy / norm * half, y - dx / norm * half))
        d.polygon(left + right[::-1], fill=colour)

    paste_layer(img, lambda d: band(d, 1.25, (150, 190, 215, 150)), blur=4 * SS)
    paste_layer(img, lambda d: band(d, 0.85, (96, 148, 188, 170)), blur=1.5 * SS)

    def edge(d: ImageDraw.ImageDraw) -> None:  # pigment gathers at the edge of a drying wash
        band(d, 0.85, (70, 118, 160, 120))
        band(d, 0.72, (0, 0, 0, 0))

    paste_layer(img, edge, blur=1.2 * SS)

    def handwriting(d: ImageDraw.ImageDraw) -> None:
        for side in (-1, 1):
            for row in range(6):
                y = gy + 70 * SS + row * 26 * SS
                x0 = gx + side * (w * 0.24)
                length = rng.uniform(0.06, 0.10) * w
                d.line([(x0 - length / 2, y), (x0 + length / 2, y)], fill=(120, 110, 100, 110), width=2 * SS)

    paste_layer(img, handwriting, blur=0.8 * SS)

    # terns
    def birds(d: ImageDraw.ImageDraw) -> None:
        for _ in range(5):
            x, y = rng.uniform(w * 0.15, w * 0.85), rng.uniform(h * 0.08, h * 0.3)
            s = rng.uniform(14, 24) * SS
            d.line([(x - s, y - s * 0.3), (x, y), (x + s, y - s * 0.35)], fill=(70, 80, 92, 220), width=3 * SS, joint="curve")

    paste_layer(img, birds)
    save(paper_grain(img, 1006), path, COVER)


# ---------------------------------------------------------------------------
# Silk Road by Bike: a road into layered mountains at dusk, with a cyclist


def draw_silk_road(path: Path) -> None:
    rng = random.Random(12550)
    w, h = COVER[0] * SS, COVER[1] * SS
    img = gradient((w, h), [(0, "#2b2350"), (0.35, "#8a4a6b"), (0.58, "#f08a4b"), (0.72, "#f7c873"), (1, "#f7c873")]).convert("RGBA")
    sun = (w * 0.62, h * 0.56)
    img.alpha_composite(radial_glow((w, h), sun, h * 0.35, "#ffd89a", 0.55))
    paste_layer(img, lambda d: d.ellipse((sun[0] - 70 * SS, sun[1] - 70 * SS, sun[0] + 70 * SS, sun[1] + 70 * SS), fill=(255, 236, 190, 255)))

    ranges = [
        (0.50, 0.10, "#b86a7a", 9),
        (0.58, 0.09, "#8c4a6e", 9),
        (0.66, 0.07, "#5e3560", 8),
        (0.76, 0.05, "#3a2448", 8),
    ]
    for index, (base, rough, colour, steps) in enumerate(ranges):
        line = ridge(rng, w, h * base, h * rough, steps=steps)
        r, g, b = hex_rgb(colour)
        paste_layer(img, lambda d, line=line, c=(r, g, b, 255): d.polygon([(0, h), *line, (w, h)], fill=c))
        # last light on the crests of the farthest range
        if index == 0:
            def snow(d: ImageDraw.ImageDraw, line: list[Point] = line) -> None:
                for (x0, y0), (x1, y1) in zip(line, line[1:]):
                    if y0 < h * 0.46 and y1 < h * 0.46:
                        d.line([(x0, y0), (x1, y1)], fill=(255, 226, 214, 200), width=5 * SS)
            paste_layer(img, snow, blur=1 * SS)

    foreground = [(0, h * 0.84)] + [(w * i / 20, h * (0.84 + 0.02 * math.sin(i * 0.9))) for i in range(21)] + [(w, h * 0.84)]

    def ground(d: ImageDraw.ImageDraw) -> None:
        d.polygon([(0, h), *foreground, (w, h)], fill=(34, 22, 40, 255))

    paste_layer(img, ground)

    # a switchback road climbing from the foreground to a pass near the sun
    def road_point(t: float) -> Point:
        y = h * (1.02 - 0.46 * t)
        x = w * (0.30 + 0.32 * t) + math.sin(t * math.pi * 3.2) * w * 0.14 * (1 - t) ** 1.2
        return x, y

    def road(d: ImageDraw.ImageDraw) -> None:
        n = 200
        pts = [road_point(i / n) for i in range(n + 1)]
        left, right = [], []
        for i, (x, y) in enumerate(pts):
            (xa, ya), (xb, yb) = pts[max(0, i - 1)], pts[min(n, i + 1)]
            dx, dy = xb - xa, yb - ya
            norm = math.hypot(dx, dy) or 1
            half = (36 * (1 - i / n) ** 1.6 + 1.5) * SS
            left.append((x - dy / norm * half, y + dx / norm * half))
            right.append((x + dy / norm * half, y - dx / norm * half))
        d.polygon(left + right[::-1], fill=(232, 186, 130, 255))
        for i in range(0, 70, 7):  # dashed centre line near the viewer
            d.line([pts[i], pts[i + 3]], fill=(255, 244, 220, 255), width=max(SS, round((3 - i / 35) * SS)))

    paste_layer(img, road)

    # the cyclist, small against the landscape, on the road
    def cyclist(d: ImageDraw.ImageDraw) -> None:
        x, y = road_point(0.36)
        x, y = x - 6 * SS, y - 14 * SS
        r = 15 * SS
        ink = (26, 16, 30, 255)
        for wx in (x - 22 * SS, x + 22 * SS):
            d.ellipse((wx - r, y - r, wx + r, y + r), outline=ink, width=3 * SS)
        frame = [(x - 22 * SS, y), (x - 4 * SS, y - 22 * SS), (x + 16 * SS, y - 22 * SS), (x + 22 * SS, y), (x, y), (x - 22 * SS, y)]
        d.line(frame, fill=ink, width=3 * SS, joint="curve")
        d.line([(x, y), (x - 4 * SS, y - 22 * SS)], fill=ink, width=3 * SS)
        # rider and panniers
        d.line([(x - 4 * SS, y - 24 * SS), (x + 4 * SS, y - 50 * SS)], fill=ink, width=6 * SS)
        d.ellipse((x + 0 * SS, y - 64 * SS, x + 12 * SS, y - 52 * SS), fill=ink)
        d.line([(x + 4 * SS, y - 46 * SS), (x + 16 * SS, y - 26 * SS)], fill=ink, width=4 * SS)
        d.rectangle((x - 34 * SS, y - 14 * SS, x - 16 * SS, y + 4 * SS), fill=ink)
        d.rectangle((x + 14 * SS, y - 10 * SS, x + 28 * SS, y + 2 * SS), fill=ink)

    paste_layer(img, cyclist)
    save(img, path, COVER)


# ---------------------------------------------------------------------------
# Atelier des Tilleuls: thrown pots on a shelf, and a view of the studio


def vessel(d: ImageDraw.ImageDraw, cx: float, base: float, height: float, profile: Callable[[float], float], body: RGB, glaze: RGB, glaze_line: float, rng: random.Random) -> None:
    """A thrown pot from its half-width ``profile(t)`` (t=0 foot, t=1 lip), glazed above ``glaze_line``."""
    n = 60
    right = [(cx + profile(i / n), base - height * i / n) for i in range(n + 1)]
    left = [(cx - profile(i / n), base - height * i / n) for i in range(n + 1)]
    d.polygon(right + left[::-1], fill=(*body, 255))
    if glaze_line < 1:
        # the glaze runs from a wavy line up to the lip, with a few drips below it
        m = 24
        levels = [glaze_line + rng.uniform(-0.025, 0.04) for _ in range(m + 1)]
        edge = [(cx + (-1 + 2 * i / m) * profile(lv) * 0.999, base - height * lv) for i, lv in enumerate(levels)]
        up_right = [p for i, p in enumerate(right) if i / n > levels[-1]]
        down_left = [p for i, p in reversed(list(enumerate(left))) if i / n > levels[0]]
        d.polygon(edge + up_right + down_left, fill=(*glaze, 255))
        for _ in range(rng.randint(2, 4)):
            i = rng.randint(4, m - 4)
            x, y = edge[i]
            length = height * rng.uniform(0.03, 0.09)
            d.rounded_rectangle((x - 5 * SS, y - 4 * SS, x + 5 * SS, y + length), radius=5 * SS, fill=(*glaze, 255))
    # the opening and a soft highlight down the left flank
    lip_w = profile(1.0)
    d.ellipse((cx - lip_w, base - height - lip_w * 0.16, cx + lip_w, base - height + lip_w * 0.16), fill=(*mix(glaze if glaze_line < 1 else body, (30, 24, 20), 0.45), 255))
    for i in range(8, n - 7):
        t0, t1 = i / n, (i + 1) / n
        surface = glaze if glaze_line < 1 and t0 > glaze_line + 0.04 else body
        colour = mix(surface, (255, 255, 255), 0.16)
        d.line([(cx - profile(t0) * 0.55, base - height * t0), (cx - profile(t1) * 0.55, base - height * t1)], fill=(*colour, 255), width=7 * SS)


def draw_ceramics(path: Path) -> None:
    rng = random.Random(2014)
    w, h = COVER[0] * SS, COVER[1] * SS
    img = gradient((w, h), [(0, "#e2b57a"), (0.7, "#d39d62"), (1, "#c58c55")]).convert("RGBA")
    img.alpha_composite(radial_glow((w, h), (w * 0.25, h * 0.2), h * 0.6, "#fff1d6", 0.45))

    shelf_y = h * 0.78

    def shelf(d: ImageDraw.ImageDraw) -> None:
        d.rectangle((0, shelf_y, w, shelf_y + 26 * SS), fill=(122, 82, 52, 255))
        d.rectangle((0, shelf_y + 26 * SS, w, h), fill=(96, 62, 40, 255))
        for _ in range(14):  # wood grain
            y = rng.uniform(shelf_y + 30 * SS, h)
            d.line([(0, y), (w, y + rng.uniform(-10, 10) * SS)], fill=(84, 54, 34, 255), width=2 * SS)

    paste_layer(img, shelf)

    terracotta, celadon, cream, tenmoku, ash = (186, 96, 62), (150, 182, 160), (238, 228, 206), (84, 52, 38), (176, 160, 110)
    pots = [
        # cx, height, profile, body, glaze, glaze line
        (0.13, 0.42, lambda t: (80 + 120 * math.sin(math.pi * min(1, t * 1.1)) ** 1.2) * SS * (1 - 0.55 * t ** 6), terracotta, tenmoku, 0.35),
        (0.31, 0.20, lambda t: (80 + 110 * t ** 0.6) * SS, terracotta, celadon, 0.25),
        (0.48, 0.56, lambda t: (70 + 100 * math.sin(math.pi * t * 0.95) - 40 * max(0, t - 0.75) * 4 + 10 * t) * SS, (170, 110, 80), ash, 0.3),
        (0.66, 0.24, lambda t: (90 + 70 * math.sin(math.pi * t * 0.8)) * SS, terracotta, cream, 0.2),
        (0.82, 0.34, lambda t: (60 + 85 * math.sin(math.pi * t) ** 0.8 - 20 * t) * SS, (190, 120, 80), celadon, 0.4),
        (0.95, 0.14, lambda t: (70 + 90 * t ** 0.5) * SS, terracotta, tenmoku, 0.3),
    ]

    def shadows(d: ImageDraw.ImageDraw) -> None:
        for cx, hh, profile, *_ in pots:
            r = profile(0.0) * 1.6
            d.ellipse((w * cx - r + 30 * SS, shelf_y - 12 * SS, w * cx + r + 60 * SS, shelf_y + 14 * SS), fill=(60, 36, 20, 120))

    paste_layer(img, shadows, blur=10 * SS)

    def draw_pots(d: ImageDraw.ImageDraw) -> None:
        for cx, hh, profile, body, glaze, line in pots:
            vessel(d, w * cx, shelf_y + 4 * SS, h * hh, profile, body, glaze, line, rng)

    paste_layer(img, draw_pots)

    # soft light from the window falling across the wall
    def light(d: ImageDraw.ImageDraw) -> None:
        d.polygon([(w * 0.05, 0), (w * 0.35, 0), (w * 0.75, h * 0.75), (w * 0.35, h * 0.75)], fill=(255, 244, 220, 40))

    paste_layer(img, light, blur=40 * SS)
    save(paper_grain(img, 2014, amount=5), path, COVER)


def draw_studio(path: Path) -> None:
    """A smaller inline picture: the wheel in front, shelves of drying bowls, a window."""
    rng = random.Random(1500)
    size = (1200, 750)
    w, h = size[0] * SS, size[1] * SS
    img = gradient((w, h), [(0, "#ead7b8"), (1, "#d2b48c")]).convert("RGBA")

    def window(d: ImageDraw.ImageDraw) -> None:
        x0, y0, x1, y1 = w * 0.62, h * 0.08, w * 0.92, h * 0.55
        d.rectangle((x0, y0, x1, y1), fill=(214, 232, 236, 255))
        d.rectangle((x0, y0 + (y1 - y0) * 0.65, x1, y1), fill=(150, 178, 130, 255))  # garden
        for _ in range(7):  # lime tree foliage, kept inside the frame
            watercolour_blob(d, rng, x0 + (x1 - x0) * rng.uniform(0.25, 0.75), y0 + (y1 - y0) * rng.uniform(0.3, 0.55), 50 * SS, 40 * SS, (122, 156, 96, 255))
        frame = (108, 78, 56, 255)
        d.rectangle((x0, y0, x1, y1), outline=frame, width=12 * SS)
        d.line([((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1)], fill=frame, width=10 * SS)
        d.line([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)], fill=frame, width=10 * SS)

    paste_layer(img, window)
    img.alpha_composite(radial_glow((w, h), (w * 0.77, h * 0.35), h * 0.5, "#fff6e0", 0.35))

    def shelves(d: ImageDraw.ImageDraw) -> None:
        for k, y in enumerate((h * 0.22, h * 0.40, h * 0.58)):
            d.rectangle((w * 0.04, y, w * 0.56, y + 12 * SS), fill=(120, 84, 58, 255))
            x = w * 0.06
            while x < w * 0.53:
                bw = rng.uniform(44, 64) * SS
                bh = bw * rng.uniform(0.45, 0.6)
                raw = rng.choice([(200, 170, 140), (214, 190, 160), (186, 150, 118)])
                d.chord((x, y - bh * 2, x + bw, y), 0, 180, fill=(*raw, 255))
                d.ellipse((x, y - bh * 1.0 - 5 * SS, x + bw, y - bh * 1.0 + 5 * SS), fill=(*mix(raw, (80, 60, 40), 0.35), 255))
                x += bw + rng.uniform(8, 18) * SS

    paste_layer(img, shelves)

    def floor(d: ImageDraw.ImageDraw) -> None:
        d.rectangle((0, h * 0.72, w, h), fill=(150, 122, 96, 255))

    paste_layer(img, floor)

    # the potter's wheel with a pot being thrown
    def wheel(d: ImageDraw.ImageDraw) -> None:
        cx, cy = w * 0.38, h * 0.80
        d.ellipse((cx - 320 * SS, cy - 30 * SS, cx + 320 * SS, cy + 150 * SS), fill=(70, 74, 80, 255))  # splash pan
        d.ellipse((cx - 300 * SS, cy - 40 * SS, cx + 300 * SS, cy + 110 * SS), fill=(110, 114, 118, 255))
        d.ellipse((cx - 190 * SS, cy - 30 * SS, cx + 190 * SS, cy + 50 * SS), fill=(150, 152, 154, 255))  # wheel head
        d.ellipse((cx - 170 * SS, cy - 24 * SS, cx + 170 * SS, cy + 40 * SS), fill=(170, 172, 174, 255))
        pot_h = 150 * SS

        def profile(t: float) -> float:
            return (70 + 34 * math.sin(math.pi * t) - 14 * t) * SS

        vessel(d, cx, cy + 8 * SS, pot_h, profile, (150, 104, 78), (150, 104, 78), 1.5, rng)
        for i in range(5):  # throwing rings
            t = 0.15 + i * 0.16
            y = cy + 8 * SS - pot_h * t
            r = profile(t)
            d.arc((cx - r, y - 8 * SS, cx + r, y + 8 * SS), 15, 165, fill=(128, 88, 66, 255), width=2 * SS)

    paste_layer(img, wheel)
    save(paper_grain(img, 1500, amount=5), path, size)


# ---------------------------------------------------------------------------
# Estran: the Breton shore at low tide


def draw_estran(path: Path) -> None:
    rng = random.Random(1955)
    w, h = COVER[0] * SS, COVER[1] * SS
    horizon = h * 0.40
    img = gradient((w, h), [(0, "#9cc3d5"), (0.33, "#f3d9b1"), (0.40, "#f6e2bf"), (0.401, "#5f8fa3"), (0.46, "#8fb3bd"), (0.50, "#c9b48e"), (1, "#a88d66")]).convert("RGBA")
    img.alpha_composite(radial_glow((w, h), (w * 0.78, horizon - 40 * SS), h * 0.3, "#fff0c8", 0.6))

    # a lighthouse on a far islet
    def lighthouse(d: ImageDraw.ImageDraw) -> None:
        x = w * 0.16
        d.ellipse((x - 90 * SS, horizon - 12 * SS, x + 90 * SS, horizon + 10 * SS), fill=(70, 80, 84, 255))
        d.polygon([(x - 14 * SS, horizon - 4 * SS), (x + 14 * SS, horizon - 4 * SS), (x + 9 * SS, horizon - 110 * SS), (x - 9 * SS, horizon - 110 * SS)], fill=(245, 240, 230, 255))
        for k in range(3):
            y = horizon - (22 + k * 30) * SS
            d.rectangle((x - 13 * SS + k * 1.5 * SS, y - 10 * SS, x + 13 * SS - k * 1.5 * SS, y), fill=(178, 58, 52, 255))
        d.rectangle((x - 11 * SS, horizon - 126 * SS, x + 11 * SS, horizon - 110 * SS), fill=(60, 60, 64, 255))

    paste_layer(img, lighthouse)

    # wet sand reflecting the sky, in long streaks
    def streaks(d: ImageDraw.ImageDraw) -> None:
        for _ in range(60):
            y = rng.uniform(h * 0.47, h * 0.95)
            x = rng.uniform(-w * 0.1, w)
            length = rng.uniform(0.1, 0.4) * w
            thick = (1 + (y - horizon) / h * 10) * SS
            d.line([(x, y), (x + length, y)], fill=(250, 228, 190, rng.randint(40, 110)), width=round(thick))

    paste_layer(img, streaks, blur=3 * SS)

    # tide pools
    def pools(d: ImageDraw.ImageDraw) -> None:
        for cx, cy, rx in ((0.55, 0.62, 170), (0.30, 0.78, 240), (0.80, 0.86, 200)):
            watercolour_blob(d, rng, w * cx, h * cy, rx * SS, rx * SS * 0.22, (128, 170, 186, 230))
            watercolour_blob(d, rng, w * cx - 20 * SS, h * cy - 4 * SS, rx * SS * 0.6, rx * SS * 0.08, (196, 214, 214, 255))

    paste_layer(img, pools, blur=1.5 * SS)

    # rocks with seaweed
    def rocks(d: ImageDraw.ImageDraw) -> None:
        for cx, cy, r in ((0.08, 0.70, 190), (0.22, 0.60, 90), (0.68, 0.70, 130), (0.93, 0.64, 150), (0.46, 0.92, 110), (0.62, 0.55, 50)):
            x, y, rr = w * cx, h * cy, r * SS
            pts = []
            for i in range(12):
                a = math.pi + math.pi * i / 11
                pts.append((x + math.cos(a) * rr * rng.uniform(0.8, 1.1), y + math.sin(a) * rr * 0.75 * rng.uniform(0.8, 1.1)))
            d.polygon(pts, fill=(70, 70, 68, 255))
            d.polygon([(px + 14 * SS, py + 10 * SS) for px, py in pts[4:9]], fill=(96, 96, 92, 255))
            # seaweed skirt at the foot
            for i in range(22):
                sx = x - rr * 1.05 + 2.1 * rr * i / 21
                sw, sh = rng.uniform(14, 26) * SS, rng.uniform(6, 14) * SS
                sy = y + rng.uniform(-4, 6) * SS
                tone = rng.choice([(96, 92, 40), (110, 100, 44), (78, 82, 36)])
                d.ellipse((sx - sw, sy - sh, sx + sw, sy + sh), fill=(*tone, 255))

    paste_layer(img, rocks)

    # shells scattered on the sand
    def shells(d: ImageDraw.ImageDraw) -> None:
        for _ in range(26):
            x, y = rng.uniform(0, w), rng.uniform(h * 0.72, h * 0.98)
            s = (8 + (y - h * 0.7) / h * 60) * SS
            tone = rng.choice([(244, 236, 222), (232, 200, 170), (210, 170, 150)])
            d.pieslice((x - s, y - s, x + s, y + s), 200, 340, fill=(*tone, 255))
            for k in range(5):
                a = math.radians(210 + k * 30)
                d.line([(x, y), (x + math.cos(a) * s, y + math.sin(a) * s)], fill=(*mix(tone, (120, 90, 70), 0.4), 255), width=SS)

    paste_layer(img, shells)
    save(paper_grain(img, 1955, amount=4), path, COVER)


IMAGES: dict[str, list[tuple[str, Callable[[Path], None]]]] = {
    "lina-premier-album": [("cover.jpg", draw_album)],
    "carnets-de-la-loire": [("cover.jpg", draw_loire)],
    "silk-road-by-bike": [("cover.jpg", draw_silk_road)],
    "atelier-ceramique": [("cover.jpg", draw_ceramics), ("studio.jpg", draw_studio)],
    "estran-jeu-de-societe": [("cover.jpg", draw_estran)],
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", metavar="SLUG", action="append", help="draw only this campaign's images (repeatable)")
    args = parser.parse_args(argv)
    slugs = args.only or sorted(IMAGES)
    for slug in slugs:
        if slug not in IMAGES:
            print(f"unknown campaign {slug!r}; known: {', '.join(sorted(IMAGES))}", file=sys.stderr)
            return 1
        folder = CAMPAIGNS / slug
        if not folder.is_dir():
            print(f"{folder.relative_to(ROOT)}: no such campaign folder", file=sys.stderr)
            return 1
        for name, draw in IMAGES[slug]:
            draw(folder / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

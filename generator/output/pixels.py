"""Images in and out with Pillow: decoded upright in sRGB, described, resized and encoded.

Pillow is imported only when there is an image to read (the build reads this
module on every run). See :mod:`generator.output.images` for the stage.
"""

from __future__ import annotations

from typing import NamedTuple

# The encoders' settings: part of every variant's cache key (generator.output.images.recipes).
WEBP = {"quality": 80, "method": 4}
JPEG = {"quality": 82, "optimize": True, "progressive": True}
PNG = {"optimize": True}


class Meta(NamedTuple):
    """What the stage needs to know of a source image (after EXIF orientation)."""

    width: int
    height: int
    fallback: str  # jpeg | png | "" (kept as it is: a GIF or an animation)


class Recipe(NamedTuple):
    """One output file to make from a source."""

    width: int
    height: int
    format: str  # webp | jpeg | png
    key: str  # the cache key (a sha256)


_ENCODERS: str | None = None


def encoders() -> str:
    """The versions of everything whose bytes end in an output (part of every key)."""
    global _ENCODERS
    if _ENCODERS is None:
        import PIL
        from PIL import features

        parts = [f"Pillow {PIL.__version__}"]
        for name in ("webp", "jpg", "zlib", "littlecms2", "freetype2"):
            parts.append(f"{name} {features.version(name) if features.check(name) else '-'}")
        _ENCODERS = ", ".join(parts)
    return _ENCODERS


class UnreadableImage(Exception):
    """The message says what is wrong with the file, for a ``path:1: message`` problem."""


def open_image(path: str):
    """Decode an image whole (a truncated file fails here), upright, in sRGB."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(path)
        frames = getattr(image, "n_frames", 1)
        image.load()
    except UnidentifiedImageError:
        raise UnreadableImage("not an image, or in a format that cannot be read: save it as JPEG, PNG or WebP") from None
    except Image.DecompressionBombError as error:
        raise UnreadableImage(f"too large to resize ({error}); a page needs at most 1600 pixels wide") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise UnreadableImage(f"cannot read this image: {error}; export it again as JPEG, PNG or WebP") from None
    source_format = image.format or ""
    image = ImageOps.exif_transpose(image) or image
    image.info["cagnotte_format"] = source_format
    image.info["cagnotte_frames"] = frames
    return _srgb(image)


def _srgb(image):
    """Colours converted to sRGB by the embedded ICC profile; modes made RGB(A) or L; no tags left."""
    fmt, frames = image.info.get("cagnotte_format", ""), image.info.get("cagnotte_frames", 1)
    alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            from io import BytesIO

            from PIL import ImageCms

            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(BytesIO(icc)), ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if image.mode == "RGBA" else "RGB") or image
        except Exception:  # noqa: BLE001 - a profile that cannot be read: keep the colours as they are
            pass
    if image.mode.startswith("I;16") or image.mode == "I":  # 16-bit grey: scaled to 8 bits, not clipped
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if alpha and image.mode != "RGBA":
        image = image.convert("RGBA")  # P, LA, PA, or a transparent colour
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGB")  # CMYK without a profile, YCbCr, P without transparency…
    image.info = {"cagnotte_format": fmt, "cagnotte_frames": frames, "alpha": alpha}
    return image


def describe(image) -> Meta:
    fmt, frames = image.info["cagnotte_format"], image.info["cagnotte_frames"]
    if fmt == "GIF" or frames > 1:
        fallback = ""  # an animation (or a GIF) is shown as it is
    elif fmt in ("JPEG", "MPO") and not image.info["alpha"]:
        fallback = "jpeg"
    elif image.info["alpha"] or fmt == "PNG":
        fallback = "png"
    else:
        fallback = "jpeg"
    return Meta(image.width, image.height, fallback)


def encode_variant(image, recipe: Recipe) -> bytes:
    """One variant's bytes: resized with Lanczos, no metadata, the same bytes every time."""
    from io import BytesIO

    from PIL import Image

    if abs(recipe.height - image.height * recipe.width / image.width) > 1:  # another shape: the centre of it
        from PIL import ImageOps

        resized = ImageOps.fit(image, (recipe.width, recipe.height), Image.Resampling.LANCZOS)
    elif recipe.width != image.width:
        resized = image.resize((recipe.width, recipe.height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        resized = image.copy()
    if recipe.format == "jpeg" and resized.mode not in ("RGB", "L"):
        resized = resized.convert("RGB")
    resized.info = {}  # no EXIF, XMP, ICC or comment reaches the output
    buffer = BytesIO()
    params = {"webp": WEBP, "jpeg": JPEG, "png": PNG}[recipe.format]
    resized.save(buffer, recipe.format.upper(), **params)
    return buffer.getvalue()

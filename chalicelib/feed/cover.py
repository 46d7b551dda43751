"""Cover art: an uploaded image checked against Apple's rules, or a generated title card.

Apple Podcasts refuses a feed whose ``itunes:image`` is not a square JPEG or PNG of 1400-3000
pixels in RGB, so an upload is checked here (``InvalidInput`` naming what is wrong) and a podcast
without one gets a 3000x3000 JPEG card with its title, so its feed is valid from its first episode.

Pillow: the maintained imaging library, whose wheel carries its own libjpeg, libpng and
FreeType. The title is laid out with Pillow's basic layout after python-bidi has put a
right-to-left line in display order: Pillow's own bidi support (raqm) needs FriBiDi, which the
Lambda runtime does not have, and Hebrew needs no shaping beyond the order (its final letter
forms are their own code points). The font is DejaVu Sans Bold cut down to the Latin, Greek,
Cyrillic and Hebrew blocks with punctuation and symbols (scripts/card_font.py; Bitstream Vera
licence, fonts/LICENSE-DejaVu.txt), 187 KB where the whole font is 709 KB.
"""
from __future__ import annotations

import colorsys
import hashlib
import io
from pathlib import Path

from chalicelib.errors import InvalidInput

CARD_SIZE = 3000
MIN_SIDE, MAX_SIDE = 1400, 3000
# API Gateway hands a binary body to Lambda base64-encoded, inside a 6 MB invocation payload.
MAX_COVER_BYTES = 4 * 1024 * 1024
FONT = Path(__file__).with_name("fonts") / "PodcastoCard-Bold.ttf"
_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
_MARGIN = 300
_MAX_LINES = 6


def check_cover(data: bytes) -> tuple[str, str]:
    """``(extension, content type)`` of an acceptable cover; ``InvalidInput`` otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise InvalidInput("image: the request body is empty; send the JPEG or PNG bytes")
    if len(data) > MAX_COVER_BYTES:
        raise InvalidInput(f"image: {len(data)} bytes is larger than {MAX_COVER_BYTES} bytes")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only: size before pixels
    except (UnidentifiedImageError, OSError):
        raise InvalidInput("image: the body is not an image (send a JPEG or PNG)") from None
    if image.format not in _FORMATS:
        raise InvalidInput(f"image: format {image.format} is not accepted (JPEG or PNG)")
    width, height = image.size
    if width != height:
        raise InvalidInput(f"image: {width}x{height} pixels is not square (Apple Podcasts needs a square)")
    if not MIN_SIDE <= width <= MAX_SIDE:
        raise InvalidInput(f"image: {width}x{height} pixels is outside {MIN_SIDE}-{MAX_SIDE} pixels a side")
    if image.mode != "RGB":
        raise InvalidInput(f"image: colour mode {image.mode} is not RGB (no CMYK, greyscale, palette or transparency)")
    try:
        image.load()
    except (OSError, ValueError):
        raise InvalidInput("image: the image data is truncated or corrupt") from None
    return _FORMATS[image.format]


def card_key(podcast_id: str, title: str, language: str) -> str:
    """Named by what it shows, so a new title makes a new card and an unchanged one is reused."""
    digest = hashlib.sha256(f"{language}\n{title}".encode("utf-8")).hexdigest()[:12]
    return f"podcasts/{podcast_id}/art/card-{digest}.jpg"


def title_card(title: str, language: str, *, size: int = CARD_SIZE) -> bytes:
    """A square JPEG, RGB, ``size`` pixels a side: the title in white on a colour of its own."""
    from bidi import get_display
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(title.encode("utf-8")).digest()
    red, green, blue = colorsys.hls_to_rgb(digest[0] / 255, 0.28, 0.55)
    image = Image.new("RGB", (size, size), (round(red * 255), round(green * 255), round(blue * 255)))
    draw = ImageDraw.Draw(image)
    scale = size / CARD_SIZE
    width = size - 2 * round(_MARGIN * scale)
    font, lines = _fit(title.strip() or "podcast", width, scale, ImageFont)
    rtl = language == "he"
    line_height = round(font.size * 1.25)
    top = (size - line_height * len(lines)) // 2
    for number, line in enumerate(lines):
        # Lines are broken in logical order, then each is put in display order (bidi per line).
        shown = get_display(line, base_dir="R" if rtl else "L")
        draw.text((size // 2, top + number * line_height + line_height // 2), shown, font=font,
                  fill=(255, 255, 255), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()


def _fit(title: str, width: int, scale: float, image_font):
    """The largest font (down to a floor) at which the title wraps into at most six lines."""
    words = title.split()
    for points in (360, 300, 250, 210, 180, 150, 120, 100):
        font = image_font.truetype(str(FONT), max(8, round(points * scale)),
                                   layout_engine=image_font.Layout.BASIC)
        lines = _wrap(words, font, width)
        if len(lines) <= _MAX_LINES:
            return font, lines
    return font, lines[: _MAX_LINES - 1] + [" ".join(lines[_MAX_LINES - 1:])[:40] + "…"]


def _wrap(words: list[str], font, width: int) -> list[str]:
    lines: list[str] = []
    for word in words:
        while font.getlength(word) > width and len(word) > 1:  # one word wider than the card
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines

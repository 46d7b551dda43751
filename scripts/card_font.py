"""Make chalicelib/feed/fonts/PodcastoCard-Bold.ttf, the title card's font, from DejaVu Sans Bold.

Run once when the font or the ranges change (needs fonttools, in requirements-dev.txt):
    .venv/bin/python scripts/card_font.py /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf

The whole DejaVu Sans Bold is 709 KB: glyphs for dozens of scripts a card never shows. This keeps
the Latin, Greek, Cyrillic and Hebrew blocks with punctuation and common symbols (~130 KB), for
podcasts in English and Hebrew whose titles quote names from elsewhere. The Bitstream Vera
licence (fonts/LICENSE-DejaVu.txt) allows modified copies whose names contain neither
"Bitstream" nor "Vera"; the subset is renamed "Podcasto Card" to say it is not DejaVu as shipped.
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

RANGES = (
    (0x0020, 0x024F),  # Basic Latin, Latin-1 Supplement, Latin Extended-A and -B
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0590, 0x05FF),  # Hebrew
    (0xFB1D, 0xFB4F),  # Hebrew presentation forms
    (0x2000, 0x206F),  # General Punctuation (dashes, quotes, bidi marks)
    (0x20A0, 0x20CF),  # Currency symbols (₪, €)
    (0x2100, 0x214F),  # Letterlike symbols (™, №)
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical operators
    (0x25A0, 0x25FF),  # Geometric shapes
)
TARGET = Path(__file__).resolve().parent.parent / "chalicelib" / "feed" / "fonts" / "PodcastoCard-Bold.ttf"


def main(source: str) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in RANGES for c in range(low, high + 1)])
    subsetter.subset(font)
    for record in font["name"].names:
        text = record.toUnicode()
        if record.nameID in (1, 4, 16):  # family, full name, typographic family
            record.string = text.replace("DejaVu Sans", "Podcasto Card")
        elif record.nameID == 6:  # PostScript name
            record.string = text.replace("DejaVuSans", "PodcastoCard")
    font.save(str(TARGET))
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])

"""Rebuild the slide font: DejaVu Sans Mono, cut down to what reports show, as WOFF2.

Slides embed their font so that they render the same offline. The whole of DejaVu Sans
Mono is 340 KB a weight; cut down to the characters below it is about 20 KB, which each
standalone slide carries as base64. A character outside the set still shows, in the
viewer's own monospace font.

    .venv/bin/python scripts/subset_font.py [SOURCE_FOLDER]

SOURCE_FOLDER holds DejaVuSansMono.ttf and DejaVuSansMono-Bold.ttf (default: Debian's
fonts-dejavu-core, /usr/share/fonts/truetype/dejavu). Needs the `dev` extra (fontTools
with Brotli). The output, and the licence beside it, are committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/truetype/dejavu")
TARGET = Path(__file__).resolve().parent.parent / "resilience_cli" / "export" / "fonts"
WEIGHTS = {"DejaVuSansMono.ttf": "regular.woff2", "DejaVuSansMono-Bold.ttf": "bold.woff2"}

# ASCII, Latin-1 and Latin Extended-A (names and titles in most European languages),
# typography, arrows, the comparison signs of thresholds, box drawing and blocks (Rich's
# tables, panels, rules and bars), a few shapes, and the check and cross marks.
RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x17F),
    (0x2010, 0x2027),
    (0x2030, 0x203A),
    (0x20AC, 0x20AC),
    (0x2190, 0x2195),
    (0x21D0, 0x21D4),
    (0x2212, 0x2212),
    (0x221E, 0x221E),
    (0x2248, 0x2248),
    (0x2260, 0x2265),
    (0x2500, 0x259F),
    (0x25A0, 0x25A1),
    (0x25B2, 0x25BC),
    (0x25C0, 0x25C6),
    (0x25CB, 0x25CF),
    (0x2713, 0x2718),
)


def codepoints() -> list[int]:
    """Every code point the subset keeps."""
    return [code for first, last in RANGES for code in range(first, last + 1)]


def build(source: Path, target: Path) -> None:
    """Subset each weight of `source` into `target` as WOFF2."""
    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.layout_features = []  # a monospace report needs no ligatures or kerning
    options.hinting = False  # slides are drawn at 30 px and up
    options.notdef_outline = True
    for name, output in WEIGHTS.items():
        font = TTFont(source / name, recalcTimestamp=False)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints())
        subsetter.subset(font)
        font.flavor = "woff2"
        font.save(target / output)
        print(f"{target / output}: {(target / output).stat().st_size:,} bytes")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE, TARGET)

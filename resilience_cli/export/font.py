"""The slide font, embedded: DejaVu Sans Mono, Regular and Bold, as WOFF2 subsets.

Rich's own SVG export names a web font that it fetches from a CDN, so an offline
laptop drew the slides in whatever font it had, and the columns slid apart. Ours travels
inside each file as a `data:` URL: about 20 KB of base64 a weight, for ASCII, Latin-1,
Latin Extended-A, typography, arrows, box drawing, blocks and the marks we print
(`scripts/subset_font.py` says which, and rebuilds them). A character outside the
subset is drawn in the viewer's own monospace font. Licence: `fonts/LICENSE`
(Bitstream Vera; the DejaVu changes are in the public domain).
"""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources
from typing import Final

FAMILY: Final = "DejaVu Sans Mono"
# Width of every glyph in ems (1233 / 2048 font units): what lays out 100 columns.
ADVANCE: Final = 1233 / 2048
# Above and below the baseline, in ems: where a line's text sits in its row.
ASCENT: Final = 1901 / 2048
DESCENT: Final = 483 / 2048
_FILES: Final = {400: "regular.woff2", 700: "bold.woff2"}


def font_data(weight: int) -> bytes:
    """The WOFF2 bytes of one weight (400 or 700)."""
    return resources.files("resilience_cli.export").joinpath("fonts", _FILES[weight]).read_bytes()


@cache
def font_face_css() -> str:
    """`@font-face` rules with both weights inline: the only font a slide needs."""
    rules = []
    for weight in _FILES:
        data = base64.b64encode(font_data(weight)).decode("ascii")
        rules.append(
            f'@font-face{{font-family:"{FAMILY}";font-style:normal;font-weight:{weight};'
            f'src:url(data:font/woff2;base64,{data}) format("woff2")}}'
        )
    return "\n".join(rules)

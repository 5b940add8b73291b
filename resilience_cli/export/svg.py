"""Slides as SVG: 1920x1080 each, or the whole report on one long page.

Each line is one `<text>` element, and each run of it a `<tspan>` placed at its column,
so the columns stay true even where a character falls back to another font. The text
stays text: it can be selected, searched and read by a screen reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Final

from rich.cells import cell_len

from resilience_cli.export.font import ADVANCE, ASCENT, DESCENT, FAMILY, font_face_css
from resilience_cli.export.theme import BACKGROUND, FOREGROUND
from resilience_cli.printable import printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.export.deck import Line, Run

SLIDE_WIDTH: Final = 1920
SLIDE_HEIGHT: Final = 1080
FONT_SIZE: Final = 30.0  # px on a 1920x1080 slide: 100 columns fill its width
LINE_HEIGHT: Final = 1.17  # ems: box-drawing lines meet from one row to the next
MARGIN_Y: Final = 30.0
# Rows a slide holds at FONT_SIZE; a longer slide is drawn smaller to fit.
ROWS: Final = int((SLIDE_HEIGHT - 2 * MARGIN_Y) // (FONT_SIZE * LINE_HEIGHT))
# Where the font goes; no outside text can forge it, as every `<` in text is escaped.
FONT_PLACEHOLDER: Final = "<!--embedded font-->"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the text goes on the canvas."""

    width: float
    height: float
    font_size: float
    left: float
    top: float

    @property
    def row(self) -> float:
        """The height of one line."""
        return self.font_size * LINE_HEIGHT

    @property
    def cell(self) -> float:
        """The width of one column."""
        return self.font_size * ADVANCE


def slide_layout(rows: int, columns: int) -> Layout:
    """A 16:9 slide: 30 px text, smaller only when the slide has more than `ROWS` lines."""
    font_size = FONT_SIZE
    if rows > ROWS:
        font_size = (SLIDE_HEIGHT - 2 * MARGIN_Y) / (rows * LINE_HEIGHT)
    font_size = min(font_size, (SLIDE_WIDTH - 2 * MARGIN_Y) / (columns * ADVANCE))
    left = (SLIDE_WIDTH - columns * font_size * ADVANCE) / 2
    return Layout(SLIDE_WIDTH, SLIDE_HEIGHT, font_size, left, MARGIN_Y)


def page_layout(rows: int, columns: int) -> Layout:
    """One long page as wide as a slide, with text of the same size."""
    left = (SLIDE_WIDTH - columns * FONT_SIZE * ADVANCE) / 2
    height = math.ceil(2 * MARGIN_Y + max(rows, 1) * FONT_SIZE * LINE_HEIGHT)
    return Layout(SLIDE_WIDTH, height, FONT_SIZE, left, MARGIN_Y)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _tspan(run: Run, x: float) -> str:
    attributes = [f'x="{_number(x)}"']
    look = run.paint
    if look.color != FOREGROUND.hex:
        attributes.append(f'fill="{look.color}"')
    if look.bold:
        attributes.append('font-weight="700"')
    if look.italic:
        attributes.append('font-style="italic"')
    if look.underline:
        attributes.append('text-decoration="underline"')
    # XML has no place for a control character, even escaped: shown as its escape.
    text = escape(printable(run.text), quote=False)
    return f"<tspan {' '.join(attributes)}>{text}</tspan>"


def _backgrounds(line: Line, layout: Layout, top: float) -> list[str]:
    return [
        f'<rect x="{_number(layout.left + run.column * layout.cell)}" y="{_number(top)}"'
        f' width="{_number(cell_len(run.text) * layout.cell)}" height="{_number(layout.row)}"'
        f' fill="{run.paint.background}"/>'
        for run in line
        if run.paint.background is not None
    ]


def body(lines: Sequence[Line], layout: Layout) -> str:
    """The drawing: a background, then one `<text>` per non-blank line."""
    parts = [f'<rect width="100%" height="100%" fill="{BACKGROUND.hex}"/>']
    # The glyphs' box (ascent + descent) centred in the row.
    baseline_offset = (layout.row + layout.font_size * (ASCENT - DESCENT)) / 2
    for number, line in enumerate(lines):
        if not line:
            continue
        top = layout.top + number * layout.row
        parts += _backgrounds(line, layout, top)
        spans = "".join(_tspan(run, layout.left + run.column * layout.cell) for run in line)
        # On each line: Chromium does not inherit xml:space from the root, and would fold
        # the blanks that carry a column's alignment.
        y = _number(top + baseline_offset)
        parts.append(f'<text y="{y}" xml:space="preserve">{spans}</text>')
    return "\n".join(parts)


def svg(lines: Sequence[Line], layout: Layout, *, title: str, standalone: bool = True) -> str:
    """An SVG of `lines`: standalone (its own size and font), or for a page that has both.

    The text's font, size and colour are attributes of the drawing, not a stylesheet: an
    SVG's `<style>` inside an HTML page applies to the whole page, so one slide drawn
    smaller would shrink them all. A standalone SVG's font rules stand as
    `FONT_PLACEHOLDER` until `embed_font` fills them in, so that redaction, which reads
    the whole document, never reads the font's data.
    """
    label = escape(printable(title))
    view_box = f"0 0 {_number(layout.width)} {_number(layout.height)}"
    size = (
        f' width="{_number(layout.width)}" height="{_number(layout.height)}"' if standalone else ""
    )
    text_style = (
        f' font-family="\'{FAMILY}\', monospace" font-size="{_number(layout.font_size)}"'
        f' fill="{FOREGROUND.hex}"'
    )
    font = f"<style>\n{FONT_PLACEHOLDER}\n</style>\n" if standalone else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg"{size} viewBox="{view_box}"'
        f' role="img" aria-label="{label}"{text_style}>\n'
        f"<title>{label}</title>\n{font}{body(lines, layout)}\n</svg>\n"
    )


def embed_font(document: str) -> str:
    """Fill the font's placeholder in with the embedded font."""
    return document.replace(FONT_PLACEHOLDER, font_face_css(), 1)

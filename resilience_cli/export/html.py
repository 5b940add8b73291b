"""Slides as one HTML page: each slide a screen, the font declared once for all of them.

Every slide is an inline SVG in a 16:9 `<section>` that fills the window: scroll or
press Page Down to go on (scroll snapping stops at each one), or print to PDF for one
slide a page. The single-page export is the same page with one long drawing. The text is
DOM text, there to select and search.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Final

from resilience_cli.export.svg import FONT_PLACEHOLDER, svg
from resilience_cli.export.theme import BACKGROUND
from resilience_cli.printable import printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.export.deck import Line
    from resilience_cli.export.svg import Layout

_COMMON_CSS: Final = "html{background:#202020}body{margin:0}svg{display:block;background:%s}"
_SLIDES_CSS: Final = """\
html{scroll-snap-type:y mandatory}
section{height:100vh;display:flex;align-items:center;justify-content:center;\
scroll-snap-align:start}
section>svg{width:min(100vw,177.78vh);height:min(56.25vw,100vh)}
@page{size:1920px 1080px;margin:0}
@media print{html{background:none}section{height:auto;break-after:page}\
section>svg{width:1920px;height:1080px}}"""
_PAGE_CSS: Final = "section>svg{width:100%;max-width:1920px;height:auto;margin:0 auto}"


def slides_html(
    pages: Sequence[tuple[Sequence[Line], Layout]], *, title: str, one_page: bool = False
) -> str:
    """An HTML page of slides, one `<section>` each (or one long drawing, `one_page`).

    The font stands as `FONT_PLACEHOLDER` until `embed_font` fills it in.
    """
    count = len(pages)
    sections = "\n".join(
        f'<section id="slide-{number}" aria-label="slide {number} of {count}">\n'
        f"{svg(lines, layout, title=f'{title} ({number}/{count})', standalone=False)}"
        "</section>"
        for number, (lines, layout) in enumerate(pages, start=1)
    )
    css = _COMMON_CSS % BACKGROUND.hex + "\n" + (_PAGE_CSS if one_page else _SLIDES_CSS)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(printable(title), quote=False)}</title>\n"
        f"<style>\n{FONT_PLACEHOLDER}\n{css}\n</style>\n</head>\n<body>\n{sections}\n"
        "</body>\n</html>\n"
    )

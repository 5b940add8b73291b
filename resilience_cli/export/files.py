"""The files an export makes: their names and their contents, ready to write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resilience_cli.export import ExportMode
from resilience_cli.export.html import slides_html
from resilience_cli.export.svg import embed_font, page_layout, slide_layout, svg
from resilience_cli.redact import redact

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from resilience_cli.export.deck import Line, Slide


def slide_path(path: Path, number: int, count: int) -> Path:
    """`tour.svg` -> `tour-01.svg`: numbered so that the files sort in slide order."""
    digits = max(2, len(str(count)))
    return path.with_name(f"{path.stem}-{number:0{digits}d}{path.suffix}")


def _finished(document: str) -> str:
    # Redaction reads the whole document, the font after it: base64 data is never read
    # as a URL, and no credential can hide in it.
    return embed_font(redact(document))


def export_files(
    slides: Sequence[Slide], path: Path, mode: ExportMode, *, title: str, columns: int
) -> list[tuple[Path, str]]:
    """Each file to write for `path` (.svg, .html or .txt), with its contents."""
    everything: list[Line] = [line for slide in slides for line in slide.lines]
    if path.suffix == ".txt":
        return [(path, redact("\n".join(slide.text for slide in slides) + "\n"))]
    if mode is ExportMode.SINGLE:
        layout = page_layout(len(everything), columns)
        if path.suffix == ".html":
            return [
                (path, _finished(slides_html([(everything, layout)], title=title, one_page=True)))
            ]
        return [(path, _finished(svg(everything, layout, title=title)))]
    pages = [(slide.lines, slide_layout(len(slide.lines), columns)) for slide in slides]
    if path.suffix == ".html":
        return [(path, _finished(slides_html(pages, title=title)))]
    count = len(pages)
    return [
        (
            slide_path(path, number, count),
            _finished(svg(lines, layout, title=f"{title} ({number}/{count})")),
        )
        for number, (lines, layout) in enumerate(pages, start=1)
    ]

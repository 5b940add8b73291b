"""A scenario run's report as slides or as one long page: SVG, HTML or text, offline.

- `Deck` collects the report's renderables at a fixed width (100 columns) and cuts them
  into slides: a title, one per step, and the verdict.
- `slide_svg` draws one slide on a 1920x1080 (16:9) canvas in DejaVu Sans Mono at 30 px
  (29 rows of 100 columns; a longer slide is drawn smaller to fit); `page_svg` draws
  them all on one long page instead.
- `slides_html` puts every slide in one HTML page, one screen each.

The font is embedded in every file (a WOFF2 subset, `fonts/`), so a slide reads the same
on a laptop with no network. Everything here is pure: it returns text, and the command
writes the files.

This module stays light: the command line imports `ExportMode` for its option.
"""

from __future__ import annotations

from enum import StrEnum


class ExportMode(StrEnum):
    """One file per slide (one HTML page of slides), or the whole report on one page."""

    SLIDES = "slides"
    SINGLE = "single"

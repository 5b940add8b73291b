"""Slides in the making: the report's renderables at a fixed width, cut into slides."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rich.cells import cell_len
from rich.console import Console

from resilience_cli.export.theme import Paint, paint

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import RenderableType
    from rich.segment import Segment

WIDTH: Final = 100  # columns: the width every export is laid out at


@dataclass(frozen=True, slots=True)
class Run:
    """Text in one paint, starting at a column (in terminal cells) of its line."""

    column: int
    text: str
    paint: Paint


Line = tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class Slide:
    """The lines of one slide, as a terminal 100 columns wide would show them."""

    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        """The slide as plain text, one line per line, without trailing blanks."""
        return "\n".join(line_text(line) for line in self.lines)


def line_text(line: Line) -> str:
    """One line's text, with the blanks between its runs."""
    text = ""
    for run in line:
        text += " " * (run.column - cell_len(text)) + run.text
    return text.rstrip()


def _runs(segments: Iterable[Segment]) -> Line:
    """A line's segments as runs, each carrying the blanks before it; none at the end.

    A blank segment (padding, a gap between columns) has no run of its own: its spaces
    start the next run, so that a line's text reads as it did on the terminal when it
    is selected, searched or read aloud.
    """
    runs: list[Run] = []
    column = 0
    blanks = ""  # spaces waiting for the next run
    for segment in segments:
        if segment.control:
            continue
        text, look = segment.text, paint(segment.style)
        if look.background is None and not text.strip(" "):
            blanks += text
        else:
            runs.append(Run(column - len(blanks), blanks + text, look))
            blanks = ""
        column += cell_len(text)
    if runs and runs[-1].paint.background is None:
        last = runs[-1]
        runs[-1] = Run(last.column, last.text.rstrip(" "), last.paint)
    return tuple(runs)


class Deck:
    """Renderables laid out 100 columns wide, cut into slides where the report says."""

    def __init__(self, width: int = WIDTH) -> None:
        # A console of its own: the slides look the same whatever the terminal, its
        # width, its colours, its encoding or NO_COLOR (a slide is a picture, not a
        # terminal); only the text's layout is Rich's.
        self._console = Console(
            file=io.StringIO(),
            width=width,
            color_system="truecolor",
            force_terminal=True,
            no_color=False,
            legacy_windows=False,
            highlight=False,
            emoji=False,
        )
        self._slides: list[Slide] = []
        self._lines: list[Line] = []

    @property
    def width(self) -> int:
        """Columns per line."""
        return self._console.width

    def add(self, renderable: RenderableType) -> None:
        """Lay `renderable` out on the current slide."""
        options = self._console.options
        lines = self._console.render_lines(renderable, options, pad=False, new_lines=False)
        self._lines.extend(_runs(line) for line in lines)

    def cut(self) -> None:
        """End the current slide (nothing happens on an empty one)."""
        while self._lines and not self._lines[-1]:
            self._lines.pop()
        if self._lines:
            self._slides.append(Slide(tuple(self._lines)))
        self._lines = []

    @property
    def slides(self) -> tuple[Slide, ...]:
        """Every slide so far, the one in the making included."""
        self.cut()
        return tuple(self._slides)

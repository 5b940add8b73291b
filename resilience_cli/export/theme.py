"""The colours of a slide: dark text on white, each colour readable on a projector.

A projector turns a dark background grey and eats the contrast, so slides are light.
Our own styles use xterm's 256 colours (`resilience_cli.palette`), drawn as they are;
the 16 terminal colours, which only Rich's defaults use, are chosen here, all at 4.5:1
or more on white. Dim text is drawn at full strength: on a slide nothing is secondary
enough to fade.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rich.color_triplet import ColorTriplet
from rich.terminal_theme import TerminalTheme

if TYPE_CHECKING:
    from rich.style import Style

BACKGROUND: Final = ColorTriplet(255, 255, 255)
FOREGROUND: Final = ColorTriplet(26, 26, 26)
SLIDE_THEME: Final = TerminalTheme(
    BACKGROUND,
    FOREGROUND,
    [
        (26, 26, 26),  # black
        (180, 0, 0),  # red
        (0, 115, 0),  # green
        (122, 92, 0),  # yellow, darkened to read on white
        (0, 64, 192),  # blue
        (150, 0, 150),  # magenta
        (0, 110, 110),  # cyan
        (85, 85, 85),  # white: a grey that still reads on white
    ],
    [
        (64, 64, 64),
        (200, 0, 0),
        (0, 128, 0),
        (135, 100, 0),
        (30, 80, 220),
        (170, 0, 170),
        (0, 120, 120),
        (26, 26, 26),
    ],
)


@dataclass(frozen=True, slots=True)
class Paint:
    """How one run of text is drawn."""

    color: str
    background: str | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False


def paint(style: Style | None) -> Paint:
    """A Rich style as colours and weights on a slide."""
    if style is None:
        return Paint(FOREGROUND.hex)
    color: ColorTriplet = (
        FOREGROUND
        if style.color is None or style.color.is_default
        else style.color.get_truecolor(SLIDE_THEME)
    )
    background: ColorTriplet | None = (
        None
        if style.bgcolor is None or style.bgcolor.is_default
        else style.bgcolor.get_truecolor(SLIDE_THEME, foreground=False)
    )
    if style.reverse:
        color, background = background or BACKGROUND, color
    return Paint(
        color=color.hex,
        background=None if background is None else background.hex,
        bold=bool(style.bold),
        italic=bool(style.italic),
        underline=bool(style.underline),
    )

"""The colours and emphasis of every report: legible on a projector, and without colour.

A projector washes out whatever is faint, and a class sees the terminal's own theme,
light or dark, which we cannot know. So:

- Nothing we print is dim: Rich's `dim` halves a colour towards the background, and a
  grey label on a projected screen is gone. Secondary text is the terminal's own
  foreground, which its theme always makes readable.
- Colour is a second cue, never the only one: every coloured word is bold and says what
  it means in letters (`OPEN`, `✗`, a column name), so `NO_COLOR` loses nothing.
- Each colour is one of xterm's 256 (the same on a 256-colour terminal as in truecolor)
  and reads at 3:1 or better, WCAG's floor for bold large text, against white, black and
  the default backgrounds of common terminals, light and dark (`BACKGROUNDS`; the tests
  check every colour against each). That rules out the terminal's own yellow, cyan and
  blue, which some themes draw at under 2:1.
"""

from __future__ import annotations

from typing import Final

GOOD: Final = "bold color(28)"  # #008700: ok counts, ✓, CLOSED
RECOVERED: Final = "bold color(33)"  # #0087ff: calls that succeeded after a retry
CAUTION: Final = "bold color(166)"  # #d75f00: fallbacks, HALF_OPEN, advisory failures
BAD: Final = "bold color(196)"  # #ff0000: OPEN, strict failures, errors
FORCED: Final = "bold color(163)"  # #d700af: FORCED_OPEN, an operator's hand
STRONG: Final = "bold"  # headings and the numbers that matter, in the foreground colour
PLAIN: Final = ""  # labels and secondary text: the foreground colour, never dim

# Backgrounds a classroom terminal is likely to have: plain white and black, Solarized
# light and dark, Windows Terminal (Campbell), VS Code, GNOME Terminal, Ubuntu, Dracula.
BACKGROUNDS: Final = (
    "#ffffff",
    "#fdf6e3",
    "#000000",
    "#0c0c0c",
    "#1e1e1e",
    "#171421",
    "#002b36",
    "#300a24",
    "#282a36",
)
MIN_CONTRAST: Final = 3.0

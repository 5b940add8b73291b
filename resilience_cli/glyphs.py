r"""Our symbols (→ ✓ ✗ — ·), and what stands in for them where a stream cannot encode them.

A legacy Windows console, PowerShell 5.1 or output redirected to a file on Windows writes
in cp1252 (or ASCII), which has no `→`, `✓` or `✗`. This module is the one place that
decides, from a stream's encoding, which symbols a report uses:

- `glyphs_for(encoding)` picks each symbol of a report, or its ASCII stand-in, before
  anything is laid out, so tables stay aligned;
- `ascii_fallback` is a codec error handler for the streams themselves (installed by the
  command line), so any other character that cannot be encoded (a box line in `explain`,
  an emoji in a scenario title) degrades to the same stand-ins or to an escape such as
  `\u263a`, never to `?` and never to a crash.
"""

from __future__ import annotations

import codecs
import sys
import unicodedata
from dataclasses import dataclass, fields
from typing import Final

ERROR_HANDLER: Final = "resilience-ascii"

# Our own symbols first; then typography that reaches us through scenario files and docs.
ASCII_FOR: Final = {
    "→": "->",
    "✓": "ok",
    "✗": "FAIL",
    "—": "-",
    "\u2013": "-",  # en dash
    "·": "-",
    "…": "...",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "\u00d7": "x",  # multiplication sign
    "µ": "u",
    "“": '"',
    "”": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u00a0": " ",
}
_BOX_DRAWING: Final = range(0x2500, 0x2580)


@dataclass(frozen=True, slots=True)
class Glyphs:
    """The symbols a report uses, each either itself or its ASCII stand-in."""

    arrow: str = "→"
    ok: str = "✓"
    fail: str = "✗"
    dash: str = "—"
    dot: str = "·"


UNICODE: Final = Glyphs()
ASCII: Final = Glyphs(
    **{field.name: ASCII_FOR[getattr(UNICODE, field.name)] for field in fields(Glyphs)}
)


def glyphs_for(encoding: str | None) -> Glyphs:
    """Each symbol as is where `encoding` can write it, else its ASCII stand-in."""
    chosen = {
        field.name: _fit(getattr(UNICODE, field.name), encoding or "utf-8")
        for field in fields(Glyphs)
    }
    return Glyphs(**chosen)


def _fit(symbol: str, encoding: str) -> str:
    try:
        symbol.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII_FOR[symbol]
    return symbol


def stand_in(character: str) -> str:
    """What to write for one character the stream cannot encode."""
    known = ASCII_FOR.get(character)
    if known is not None:
        return known
    if ord(character) in _BOX_DRAWING:
        name = unicodedata.name(character, "")
        if name.endswith("HORIZONTAL"):
            return "-"
        return "|" if name.endswith("VERTICAL") else "+"
    # A letter with an accent keeps its letter (`é` -> `e`); anything else is shown as its
    # escape, so a reader can still tell what it was.
    base = unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode("ascii")
    return base or character.encode("ascii", "backslashreplace").decode("ascii")


def ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: ASCII stand-ins for what the encoding cannot write."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(stand_in(character) for character in bad), error.end


codecs.register_error(ERROR_HANDLER, ascii_fallback)


def use_ascii_stand_ins() -> None:
    """Let stdout and stderr write ASCII stand-ins for what their encoding lacks.

    Called once by the command line before anything is printed: a cp1252 console then
    shows `->` for `→` instead of raising UnicodeEncodeError.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=ERROR_HANDLER)

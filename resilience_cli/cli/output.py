"""Where output goes: data on stdout, progress and errors on stderr, all of it safe to print.

Rich honours NO_COLOR and FORCE_COLOR by itself; colour and progress bars appear only on
a terminal. Three rules hold for everything printed from here:

- Outside text (names, reasons, paths, URLs, error messages quoting the user) is text,
  never Rich markup, with control characters shown as escapes and URL credentials
  redacted (`resilience_cli.printable.shown`).
- Off a terminal (a pipe, a file, a CI log) lines are as wide as `COLUMNS` says, or 120
  columns, rather than Rich's 80, which broke summaries mid-phrase.
- A stream that cannot encode a character gets its ASCII stand-in
  (`resilience_cli.glyphs`), never a crash.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Final, TextIO

from resilience_cli.printable import shown
from resilience_cli.redact import redact

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.console import Console, RenderableType

    from resilience_cli.glyphs import Glyphs

OFF_TERMINAL_WIDTH: Final = 120


def width_for(stream: TextIO | None, environ: Mapping[str, str]) -> int | None:
    """None on a terminal (Rich measures it); off one, `COLUMNS` when set, else 120."""
    try:
        if stream is not None and stream.isatty():
            return None
    except ValueError:  # a closed stream: nothing will be shown anyway
        return None
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return OFF_TERMINAL_WIDTH


def glyphs() -> Glyphs:
    """The symbols stdout can show: Unicode, or ASCII stand-ins where it cannot."""
    from resilience_cli.glyphs import glyphs_for  # noqa: PLC0415

    return glyphs_for(getattr(sys.stdout, "encoding", None))


def stdout() -> Console:
    """The console for data."""
    from rich.console import Console  # noqa: PLC0415 - rich is only paid for when printing

    class _DataConsole(Console):
        def on_broken_pipe(self) -> None:
            # `resilience ... | head`: the reader had enough; that is not a failure of ours.
            # (Rich's default exits 1.)
            self.quiet = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)

    return _DataConsole(soft_wrap=False, width=width_for(sys.stdout, os.environ))


def stderr() -> Console:
    """The console for progress, notes and errors."""
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=True, width=width_for(sys.stderr, os.environ))


def print_json(document: object) -> None:
    r"""One JSON document on stdout, keys in the order they were built, credentials redacted.

    ASCII only (`\u2014` for `—`): valid JSON that any console can print and that carries
    no raw control or bidirectional character to a terminal.
    """
    sys.stdout.write(json.dumps(_redacted(document), indent=2) + "\n")


def _redacted(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def show(renderable: RenderableType) -> None:
    """A Rich renderable on stdout; a plain string is printed as text, never as markup.

    A string is a line of its own (`ok: tour: ...`, `FAILED: GET ... answered 404`): it is
    never wrapped, so that a script or a CI log reads it whole.
    """
    if isinstance(renderable, str):
        from rich.text import Text  # noqa: PLC0415

        stdout().print(Text(shown(renderable, multiline=True)), soft_wrap=True)
        return
    stdout().print(renderable)


def text(lines: str) -> None:
    """Our own plain text on stdout, as is (through the stream, so its encoding is honoured)."""
    sys.stdout.write(f"{lines}\n")


def note(message: str) -> None:
    """A note on stderr, never wrapped (not data: scripts reading stdout never see it)."""
    sys.stderr.write(f"{shown(message, multiline=True)}\n")


def error(message: str) -> None:
    """`error: ...` on stderr, one prefixed line per line of `message`."""
    # Each line its own `error:`, so a list of file:line:col problems stays parseable.
    sys.stderr.write("".join(f"error: {shown(line)}\n" for line in message.split("\n")))


def file_problem(path: object, error: OSError) -> str:
    """One line saying why `path` could not be written or read."""
    if isinstance(error, FileExistsError | NotADirectoryError):
        return f"{path}: a file is in the way of one of its folders"
    if isinstance(error, IsADirectoryError):
        return f"{path}: is a folder, not a file"
    return f"{path}: {error.strerror or error}"

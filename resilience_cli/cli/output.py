"""Where output goes: data on stdout, progress and errors on stderr.

Rich honours NO_COLOR and FORCE_COLOR by itself; colour and progress bars appear only on
a terminal.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


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

    return _DataConsole(soft_wrap=False)


def stderr() -> Console:
    """The console for progress, notes and errors."""
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=True)


def print_json(document: object) -> None:
    """One JSON document on stdout, keys in the order they were built."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def show(renderable: RenderableType) -> None:
    """A Rich renderable on stdout."""
    stdout().print(renderable)


def note(message: str) -> None:
    """A note on stderr, never wrapped (not data: scripts reading stdout never see it)."""
    sys.stderr.write(f"{message}\n")


def file_problem(path: object, error: OSError) -> str:
    """One line saying why `path` could not be written or read."""
    if isinstance(error, FileExistsError | NotADirectoryError):
        return f"{path}: a file is in the way of one of its folders"
    if isinstance(error, IsADirectoryError):
        return f"{path}: is a folder, not a file"
    return f"{path}: {error.strerror or error}"

"""`resilience logs`: the decision log, pretty-printed, or followed as it grows."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque
from typing import TYPE_CHECKING, Annotated, Final

import typer

from resilience_cli import defaults
from resilience_cli.cli.options import LogFileOption  # noqa: TC001 - Typer reads these at run time
from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_LOG_LINES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from rich.text import Text

POLL_SECONDS: Final = 0.25
_STYLES: Final = {"warning": "yellow", "error": "red"}
_HEADER_KEYS: Final = frozenset({"timestamp", "level", "event", "run_id", "command"})


def format_line(line: str) -> Text:
    """One log line as `time  event  key=value ...`; a line that is not JSON is shown as is."""
    from rich.text import Text  # noqa: PLC0415

    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return Text(line.rstrip("\n"))
    if not isinstance(record, dict):
        return Text(line.rstrip("\n"))
    stamp = str(record.get("timestamp", ""))[11:23]
    level = str(record.get("level", "info"))
    fields = " ".join(f"{key}={value}" for key, value in record.items() if key not in _HEADER_KEYS)
    return Text.assemble(
        (stamp, "dim"),
        "  ",
        (f"{record.get('event', '?'):<20}", _STYLES.get(level, "bold")),
        "  ",
        (str(record.get("command", "")), "dim"),
        "  ",
        fields,
    )


def _show(lines: Iterable[str]) -> None:
    from resilience_cli.cli.output import stdout  # noqa: PLC0415

    console = stdout()
    for line in lines:
        console.print(format_line(line), soft_wrap=True)


def logs(
    *,
    lines: Annotated[
        int, typer.Option("-n", "--lines", min=0, max=MAX_LOG_LINES, help="Show the last N lines.")
    ] = 20,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new lines until Ctrl-C.")
    ] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Print the JSON lines as they are.")] = False,
    log_file: LogFileOption = defaults.LOG_FILE,
) -> None:
    """Show the decision log: every breaker transition, retry, rejection and fallback."""
    if not log_file.exists() and not follow:
        raise UsageError(f"no log at {log_file} yet: run a command first, e.g. 'resilience invoke'")
    emit = _quiet_when_piped_away(_print_raw if raw else _show)
    position = 0
    if log_file.exists():
        try:
            with log_file.open(encoding="utf-8", errors="replace") as file:
                tail = deque(file, maxlen=lines) if lines else deque[str]()
                position = file.tell()
        except OSError as exc:
            raise UsageError(f"cannot read {log_file}: {exc.strerror or exc}") from None
        emit(tail)
    if follow:
        _follow(log_file, position, emit)


def _quiet_when_piped_away(
    emit: Callable[[Iterable[str]], None],
) -> Callable[[Iterable[str]], None]:
    """`resilience logs | head`: when the reader goes away, stop quietly with exit 0."""

    def guarded(lines: Iterable[str]) -> None:
        try:
            emit(lines)
            sys.stdout.flush()
        except BrokenPipeError:
            # Point stdout at /dev/null, so Python's final flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None

    return guarded


def _print_raw(lines: Iterable[str]) -> None:
    for line in lines:
        typer.echo(line.rstrip("\n"))


def _follow(path: Path, position: int, emit: Callable[[Iterable[str]], None]) -> None:
    """Poll for appended lines (portable, and a log grows slowly enough for it)."""
    while True:
        time.sleep(POLL_SECONDS)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if size < position:
            position = 0  # truncated or replaced: start again from the top
        if size > position:
            with path.open(encoding="utf-8", errors="replace") as file:
                file.seek(position)
                emit(file.readlines())
                position = file.tell()


def register(app: typer.Typer) -> None:
    """Add `logs` to `app`."""
    app.command(
        "logs", epilog="Examples:\n\n  resilience logs -n 50\n\n  resilience logs --follow"
    )(logs)

"""`resilience logs`: the decision log, pretty-printed, or followed as it grows."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque
from typing import TYPE_CHECKING, Annotated, Final, TypeGuard

import typer

from resilience_cli import defaults, palette
from resilience_cli.cli.options import LogFileOption  # noqa: TC001 - Typer reads these at run time
from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_LOG_LINES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from rich.console import Console
    from rich.text import Text

POLL_SECONDS: Final = 0.25
_STYLES: Final = {"warning": palette.CAUTION, "error": palette.BAD}
_HEADER_KEYS: Final = frozenset({"timestamp", "level", "event", "run_id", "command"})
# Fields that hold seconds, shown with their unit (`212 ms`, `2.001 s`).
_SECONDS: Final = frozenset({"duration", "delay", "retry_after", "waited", "wait", "elapsed"})
# Below this many columns beside the fixed ones, wrapping under them would help no one.
_MIN_FIELD_ROOM: Final = 24


def format_value(key: str, value: object) -> str | None:
    """A field's value as people read it; None for a field with no value (not shown)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and key in _SECONDS:
        return _seconds_or_as_is(value)
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, dict | list):
        return _structured(value)
    return str(value)


def _structured(value: dict[object, object] | list[object]) -> str:
    requests = [item for item in value if _is_request(item)] if isinstance(value, list) else []
    if requests and len(requests) == len(value):
        # `run.started`'s requests, as a class reads them; `--raw` keeps their headers.
        return ", ".join(f"{request['method']} {request['path']}" for request in requests)
    # A space after each comma: a terminal can then wrap the value between items.
    return json.dumps(value, separators=(", ", ":"))


def _is_request(item: object) -> TypeGuard[dict[str, object]]:
    return isinstance(item, dict) and "method" in item and "path" in item


def _seconds_or_as_is(value: float) -> str:
    try:
        return format_seconds(float(value))
    except OverflowError:  # an integer too large for a float: not ours, shown as is
        return str(value)


def format_seconds(seconds: float) -> str:
    """`0.4 ms`, `212 ms`, `2.001 s`: milliseconds under a second, seconds above."""
    if seconds < 1:
        milliseconds = seconds * 1000
        return f"{milliseconds:.1f} ms" if milliseconds < 100 else f"{milliseconds:.0f} ms"
    return f"{seconds:,.3f} s"


def format_timestamp(value: object) -> str:
    """A log line's timestamp in the one format of every time we show; as is if unreadable."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from resilience_cli.reporting.document import iso  # noqa: PLC0415

    try:
        stamp = datetime.fromisoformat(str(value))
        if stamp.tzinfo is None:  # ours always say UTC; a bare one is read as UTC too
            stamp = stamp.replace(tzinfo=UTC)
        return iso(stamp.timestamp()) or ""
    except (ValueError, OverflowError, OSError):
        return str(value)


def format_line(line: str) -> Text:
    """One log line as `time  event  command  key=value ...`; other lines are shown as is.

    Everything in the file is outside text: shown as text, control characters as escapes.
    """
    head, fields = _split(line)
    return head if fields is None else head.append_text(fields)


def _split(line: str) -> tuple[Text, Text | None]:
    """A log line's fixed columns (time, event, command) and its fields; None: not ours."""
    from rich.text import Text  # noqa: PLC0415

    from resilience_cli.reporting.render import plain  # noqa: PLC0415

    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, or an integer past Python's digit limit
        return plain(line.rstrip("\n")), None
    if not isinstance(record, dict):
        return plain(line.rstrip("\n")), None
    level = str(record.get("level", "info"))
    fields = (
        (key, format_value(key, value)) for key, value in record.items() if key not in _HEADER_KEYS
    )
    head = Text.assemble(
        plain(format_timestamp(record.get("timestamp", ""))),
        "  ",
        plain(f"{record.get('event', '?')!s:<20}", _STYLES.get(level, palette.STRONG)),
        "  ",
        plain(record.get("command", "")),
        "  ",
    )
    return head, plain(" ".join(f"{key}={text}" for key, text in fields if text is not None))


def wrapped_line(line: str, console: Console) -> Text:
    """A log line for a terminal `width` wide: the fields wrap between words, under themselves.

    A terminal would cut `detail=circuit` into `det` and `ail=...`; in front of a class the
    fields go on below the fixed columns instead, as long as those leave them room.
    """
    from rich.text import Text  # noqa: PLC0415

    head, fields = _split(line)
    room = console.width - head.cell_len
    if fields is None or room < _MIN_FIELD_ROOM or fields.cell_len <= room:
        return format_line(line)
    indent = " " * head.cell_len
    rows = list(fields.wrap(console, room))
    wrapped = head.copy()
    for number, row in enumerate(rows):
        row.rstrip()
        wrapped.append_text(row if number == 0 else Text(indent).append_text(row))
        if number < len(rows) - 1:
            wrapped.append("\n")
    return wrapped


def _show(lines: Iterable[str]) -> None:
    from resilience_cli.cli.output import stdout  # noqa: PLC0415

    console = stdout()
    if not console.is_terminal:  # a file or a pipe keeps one line per entry, for grep
        for line in lines:
            console.print(format_line(line), soft_wrap=True)
        return
    for line in lines:
        console.print(wrapped_line(line, console), soft_wrap=True)


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
    from resilience_cli.printable import shown  # noqa: PLC0415

    # The file's lines as they are, but never its control characters: a line that is not
    # ours (or a damaged one) must not drive the terminal.
    for line in lines:
        sys.stdout.write(shown(line.rstrip("\n")) + "\n")


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

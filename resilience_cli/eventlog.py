"""`logs/app.log`: every decision of a run as one JSON object per line.

Each line carries the run id, the command, the event's flat fields, the dotted
past-tense event name, a level and a timestamp (from the run's clock, so virtual runs
log virtual time), in that order, e.g.::

    {"run_id": "3f9c...", "command": "error", "from_state": "closed", "to_state": "open",
     "reason": "5 consecutive failures >= threshold 5, so OPEN", "event": "breaker.opened",
     "level": "warning", "timestamp": "..."}

The lines are structlog's (a bound logger with `add_log_level`, a timestamper and
`JSONRenderer`), written here without it: importing structlog takes longer than
importing Typer (it brings asyncio and Rich's traceback machinery), and `force-open` and
`reset`, which log, must start fast. A test renders the same events through structlog
and checks that every line is the same.

The log is secondary to the run: a write that fails (a full disk, an I/O error) costs the
log, never the run. The first failure prints one warning, and the log goes quiet; the
run goes on, saves the breaker and prints its summary.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TextIO

from resilience_cli.errors import PATH_ERRNOS
from resilience_cli.redact import mask_secrets

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import Event

_WARNINGS: Final = frozenset({"breaker.opened", "breaker.forced_open", "call.fell_back"})


def _to_stderr(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def _cannot_write(name: str, error: OSError) -> str:
    return f"warning: cannot write the log {name} ({error.strerror or error}); going on without it"


class _LineWriter:
    """One line per event, flushed; the first OSError silences it."""

    __slots__ = ("_file", "_name", "_warn")

    def __init__(self, file: TextIO | None, name: str, warn: Callable[[str], None]) -> None:
        self._file = file
        self._name = name
        self._warn = warn

    @property
    def writing(self) -> bool:
        """Whether a line would still be written."""
        return self._file is not None

    def msg(self, message: str) -> None:
        """Append one line, unless the log has failed before."""
        if self._file is None:
            return
        try:
            self._file.write(f"{message}\n")
            self._file.flush()
        except OSError as error:
            self.fail(error)

    def fail(self, error: OSError) -> None:
        """Say once why the log stopped, and write no more."""
        file, self._file = self._file, None
        if file is not None:
            self._warn(_cannot_write(self._name, error))
            # What it failed to flush is what we just warned about.
            with contextlib.suppress(OSError):
                file.close()

    def close(self) -> None:
        """Close the file; a last failed flush warns like any other."""
        file = self._file
        if file is None:
            return
        try:
            file.close()
        except OSError as error:
            self.fail(error)
        self._file = None


def _unencodable(value: object) -> str:
    """What a field that is not JSON becomes: its repr, as structlog's JSONRenderer does."""
    return repr(value)


class EventLog:
    """An `EventSink` that writes every pattern event to a JSON-lines file.

    `file` None logs nothing. `warn` hears, once, that writing failed (stderr by default).
    """

    def __init__(  # noqa: PLR0913 - the file, its name, and the fields of every line
        self,
        file: TextIO | None,
        *,
        clock: Clock,
        run_id: str,
        command: str,
        name: str = "",
        warn: Callable[[str], None] = _to_stderr,
    ) -> None:
        self._writer = _LineWriter(file, name or getattr(file, "name", "log"), warn)
        self._clock = clock
        self._context: dict[str, object] = {"run_id": run_id, "command": command}
        self._fields: dict[type, tuple[str, ...]] = {}

    def __call__(self, event: Event, /) -> None:
        """Log one pattern event with its flat fields."""
        names = self._fields.get(type(event))
        if names is None:
            names = tuple(field.name for field in dataclasses.fields(event))
            self._fields[type(event)] = names
        fields = {name: getattr(event, name) for name in names}
        name = event.name
        self._write("warning" if name in _WARNINGS else "info", name, fields)

    def info(self, event: str, /, **fields: object) -> None:
        """Log a run-level event (`run.started`, `run.finished`)."""
        self._write("info", event, fields)

    def close(self) -> None:
        """Flush and close the file."""
        self._writer.close()

    def _write(self, level: str, event: str, fields: dict[str, object]) -> None:
        if not self._writer.writing:
            return
        line = {**self._context, **fields}
        line["event"] = event
        line["level"] = level
        line["timestamp"] = datetime.fromtimestamp(self._clock.wall(), UTC).isoformat()
        # A value a request took from the environment never reaches the file.
        self._writer.msg(mask_secrets(json.dumps(line, default=_unencodable)))


def open_event_log(
    path: Path,
    *,
    clock: Clock,
    run_id: str,
    command: str,
    warn: Callable[[str], None] = _to_stderr,
) -> EventLog:
    """Append to `path`, creating its folder; the caller closes the log.

    Raises:
        OSError: The path cannot hold a log (a folder in the way, no permission), with
            an errno in `PATH_ERRNOS`. Other failures (a full disk) warn and log nothing.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file: TextIO | None = path.open("a", encoding="utf-8")
    except OSError as error:
        if error.errno in PATH_ERRNOS:
            raise
        file = None
        warn(_cannot_write(str(path), error))
    return EventLog(file, clock=clock, run_id=run_id, command=command, name=str(path), warn=warn)

"""`logs/app.log`: every decision of a run as one JSON object per line, through structlog.

Each line carries a timestamp (from the run's clock, so virtual runs log virtual time),
the run id, the command, a level, the dotted past-tense event name and the event's flat
fields, e.g.::

    {"timestamp": "...", "level": "warning", "event": "breaker.opened", "run_id": "3f9c...",
     "command": "error", "from_state": "closed", "to_state": "open",
     "reason": "5 consecutive failures >= threshold 5, so OPEN"}

No global structlog configuration is touched: the logger is wrapped per run, so tests and
library users keep theirs.

The log is secondary to the run: a write that fails (a full disk, an I/O error) costs the
log, never the run. The first failure prints one warning, and the log goes quiet; the
run goes on, saves the breaker and prints its summary.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TextIO

import structlog

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from structlog.typing import EventDict, WrappedLogger

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import Event

_WARNINGS: Final = frozenset({"breaker.opened", "breaker.forced_open", "call.fell_back"})
# Opening the log fails with one of these when the path itself is wrong: the caller says
# so and stops. Anything else (a full disk, an I/O error) only costs the log.
PATH_ERRNOS: Final = frozenset(
    {
        errno.EACCES,
        errno.EEXIST,
        errno.EISDIR,
        errno.ELOOP,
        errno.ENAMETOOLONG,
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EPERM,
        errno.EROFS,
    }
)


def _to_stderr(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def _cannot_write(name: str, error: OSError) -> str:
    return f"warning: cannot write the log {name} ({error.strerror or error}); going on without it"


class _LineWriter:
    """structlog's logger: one line per event, flushed; the first OSError silences it."""

    __slots__ = ("_file", "_name", "_warn")

    def __init__(self, file: TextIO | None, name: str, warn: Callable[[str], None]) -> None:
        self._file = file
        self._name = name
        self._warn = warn

    def msg(self, message: str) -> None:
        """Append one line, unless the log has failed before."""
        if self._file is None:
            return
        try:
            self._file.write(f"{message}\n")
            self._file.flush()
        except OSError as error:
            self.fail(error)

    info = warning = msg

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


class _ClockTimestamper:
    """Stamps each line with the run's wall clock, not the machine's."""

    __slots__ = ("_clock",)

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        del logger, method
        event_dict["timestamp"] = datetime.fromtimestamp(self._clock.wall(), UTC).isoformat()
        return event_dict


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
        self._fields: dict[type, tuple[str, ...]] = {}
        self._logger = structlog.wrap_logger(
            self._writer,
            processors=[
                structlog.processors.add_log_level,
                _ClockTimestamper(clock),
                structlog.processors.JSONRenderer(sort_keys=False),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            context_class=dict,
            cache_logger_on_first_use=True,
        ).bind(run_id=run_id, command=command)

    def __call__(self, event: Event, /) -> None:
        """Log one pattern event with its flat fields."""
        names = self._fields.get(type(event))
        if names is None:
            names = tuple(field.name for field in dataclasses.fields(event))
            self._fields[type(event)] = names
        fields = {name: getattr(event, name) for name in names}
        name = event.name
        if name in _WARNINGS:
            self._logger.warning(name, **fields)
        else:
            self._logger.info(name, **fields)

    def info(self, event: str, /, **fields: object) -> None:
        """Log a run-level event (`run.started`, `run.finished`)."""
        self._logger.info(event, **fields)

    def close(self) -> None:
        """Flush and close the file."""
        self._writer.close()


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

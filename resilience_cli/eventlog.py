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

Its volume is bounded two ways. Repeats of a decision are summed up, one line per
interval (`log_digest.py` says the rule), so the log grows with time, not with calls.
And the file rotates: a line that would take it past `max_bytes` first moves it to
`app.log.1` (`.1` to `.2`, and so on; the oldest of `backups` goes), as the standard
library's `RotatingFileHandler` does, so the log and its backups never hold much more
than `(backups + 1) * max_bytes`. A rotation that fails (another program holds the file
open on Windows) warns once; the log goes on in the same file and tries again later.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TextIO

from resilience_cli import defaults
from resilience_cli.errors import PATH_ERRNOS
from resilience_cli.log_digest import RepeatDigest, key_of
from resilience_cli.redact import mask_secrets

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from resilience_cli.clock import Clock
    from resilience_cli.log_digest import Repeats
    from resilience_cli.patterns import Event

_WARNINGS: Final = frozenset({"breaker.opened", "breaker.forced_open", "call.fell_back"})
MAX_BYTES: Final = defaults.LOG_MAX_BYTES
"""The log rotates before it passes 10 MiB."""
BACKUPS: Final = defaults.LOG_BACKUPS
"""Rotated files kept: `app.log.1` (the newest) to `app.log.3`."""
# After a failed rotation, the log tries again once it has grown by this share of max_bytes.
_RETRY_SHARE: Final = 8


def _to_stderr(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def _cannot_write(name: str, error: OSError) -> str:
    return f"warning: cannot write the log {name} ({error.strerror or error}); going on without it"


@dataclass(frozen=True, slots=True)
class Rotation:
    """Where the log rotates: its path, its size bound in bytes, and the backups kept."""

    path: Path
    max_bytes: int = MAX_BYTES
    backups: int = BACKUPS

    def rotate(self) -> None:
        """`app.log.2` -> `.3`, `.1` -> `.2`, `app.log` -> `.1`; with no backups, drop it."""
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        for number in range(self.backups - 1, 0, -1):
            older = self.backup(number)
            if older.exists():
                older.replace(self.backup(number + 1))
        self.path.replace(self.backup(1))

    def backup(self, number: int) -> Path:
        """`app.log.1` for 1."""
        return self.path.with_name(f"{self.path.name}.{number}")


class _LineWriter:
    """One line per event, flushed; the first OSError silences it."""

    __slots__ = ("_file", "_name", "_next_try", "_rotation", "_said", "_size", "_warn")

    def __init__(
        self,
        file: TextIO | None,
        name: str,
        warn: Callable[[str], None],
        rotation: Rotation | None = None,
    ) -> None:
        self._file = file
        self._name = name
        self._warn = warn
        self._rotation = rotation
        self._size = 0
        if file is not None and rotation is not None:
            with contextlib.suppress(OSError, ValueError):
                self._size = os.fstat(file.fileno()).st_size
        self._next_try = 0
        self._said = False  # that a rotation failed: once is enough

    @property
    def writing(self) -> bool:
        """Whether a line would still be written."""
        return self._file is not None

    def msg(self, message: str) -> None:
        """Append one line, unless the log has failed before."""
        if self._file is None:
            return
        # JSON lines are ASCII (json.dumps escapes the rest): a character is a byte.
        length = len(message) + 1
        rotation = self._rotation
        if (
            rotation is not None
            and self._size
            and self._size + length > rotation.max_bytes
            and self._size >= self._next_try
        ):
            self._rotate(rotation)
            if self._file is None:
                return
        try:
            self._file.write(f"{message}\n")
            self._file.flush()
        except OSError as error:
            self.fail(error)
        else:
            self._size += length

    def _rotate(self, rotation: Rotation) -> None:
        """Move the full file aside and open a fresh one; a failure keeps the old one."""
        file = self._file
        if file is None:  # pragma: no cover - only called with a file
            return
        try:
            file.close()
            rotation.rotate()
            self._next_try = 0
        except OSError as error:
            self._next_try = self._size + rotation.max_bytes // _RETRY_SHARE
            if not self._said:
                self._said = True
                self._warn(
                    f"warning: cannot rotate the log {self._name} ({error.strerror or error});"
                    " going on in the same file"
                )
        try:
            self._file = rotation.path.open("a", encoding="utf-8")
            self._size = os.fstat(self._file.fileno()).st_size
        except OSError as error:
            self._file = None
            self._warn(_cannot_write(self._name, error))

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
    With `digest`, repeats of a decision are summed up per interval (`log_digest.py`);
    with `rotation`, the file rotates at its size bound.
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
        digest: RepeatDigest | None = None,
        rotation: Rotation | None = None,
    ) -> None:
        self._writer = _LineWriter(file, name or getattr(file, "name", "log"), warn, rotation)
        self._clock = clock
        self._context: dict[str, object] = {"run_id": run_id, "command": command}
        self._fields: dict[type, tuple[str, ...]] = {}
        self._digest = digest

    def __call__(self, event: Event, /) -> None:
        """Log one pattern event with its flat fields (or count it, as a repeat)."""
        if not self._writer.writing:
            return
        names = self._fields.get(type(event))
        if names is None:
            names = tuple(field.name for field in dataclasses.fields(event))
            self._fields[type(event)] = names
        fields = {name: getattr(event, name) for name in names}
        name = event.name
        level = "warning" if name in _WARNINGS else "info"
        digest = self._digest
        if digest is not None:
            key = key_of(name, fields)
            if key is None:  # a transition: what was counted before it comes first
                self._summarize(digest.flush())
            else:
                due, in_full = digest.admit(key, level, self._clock.monotonic())
                self._summarize(due)
                if not in_full:
                    return
        self._write(level, name, fields)

    def info(self, event: str, /, **fields: object) -> None:
        """Log a run-level event (`run.started`, `run.finished`), after what was counted."""
        if self._digest is not None:
            self._summarize(self._digest.flush())
        self._write("info", event, fields)

    def close(self) -> None:
        """Write what was counted, then flush and close the file."""
        if self._digest is not None:
            self._summarize(self._digest.flush())
        self._writer.close()

    def _summarize(self, due: list[Repeats]) -> None:
        for repeats in due:
            fields: dict[str, object] = dict(repeats.fields)
            fields["count"] = repeats.count
            fields["interval_s"] = repeats.interval
            self._write(repeats.level, repeats.event, fields)

    def _write(self, level: str, event: str, fields: dict[str, object]) -> None:
        if not self._writer.writing:
            return
        line = {**self._context, **fields}
        line["event"] = event
        line["level"] = level
        line["timestamp"] = datetime.fromtimestamp(self._clock.wall(), UTC).isoformat()
        # A value a request took from the environment never reaches the file.
        self._writer.msg(mask_secrets(json.dumps(line, default=_unencodable)))


def open_event_log(  # noqa: PLR0913 - the file, its bounds, and the fields of every line
    path: Path,
    *,
    clock: Clock,
    run_id: str,
    command: str,
    warn: Callable[[str], None] = _to_stderr,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
) -> EventLog:
    """Append to `path`, creating its folder; the caller closes the log.

    Repeats of a decision are summed up per interval of `clock`, and the file rotates
    before it passes `max_bytes`, keeping `backups` older files.

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
    return EventLog(
        file,
        clock=clock,
        run_id=run_id,
        command=command,
        name=str(path),
        warn=warn,
        digest=RepeatDigest(),
        rotation=Rotation(path, max_bytes, backups),
    )

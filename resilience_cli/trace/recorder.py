"""Recorders: what a run tells about each call's arrival and each upstream answer.

`Recorder` is the seam: `ResilientClient` (hence every call command, scenario step and
stress run built on it) calls `arrived` when a logical call is offered and `answered`
when a request comes back from the upstream, each with the run clock's `monotonic()`
time. A recorder turns those into seconds since its own origin.

- `TraceWriter` streams them to a JSON-lines file as they come (`--record`), bounded by
  `limits.MAX_TRACE_RECORDS`;
- `TraceMemory` keeps them for a `compare` step later in the same scenario, bounded alike;
- `Tee` hands each to several.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_TRACE_RECORDS
from resilience_cli.redact import redact_url
from resilience_cli.trace._records import (
    TRACE_FORMAT,
    TRACE_VERSION,
    Answer,
    AnswerKind,
    Arrival,
    Exchange,
)

if TYPE_CHECKING:
    from pathlib import Path
    from typing import TextIO


class Recorder(Protocol):
    """Hears each arrival and each answer, with the run clock's `monotonic()` time."""

    def arrived(self, now: float, method: str, path: str) -> None:
        """A logical call was offered to the patterns at `now`."""

    def answered(self, began: float, method: str, path: str, answer: Answer) -> None:
        """A request that reached the upstream at `began` came back as `answer`."""


def request_name(method: str, path: str) -> str:
    """`GET /status/500`; secret query values masked (`?token=***`)."""
    return f"{method} {redact_url(path)}"


def _seconds(value: float) -> float:
    return round(value, 6)


class TraceWriter:
    """Streams a trace to a file, line by line, and stops at `limit` events.

    Open it with `TraceWriter.create`. A write that fails (a full disk) stops the trace;
    the run goes on, and `problem` says why, for the command to tell.
    """

    def __init__(self, file: TextIO, *, origin: float, limit: int = MAX_TRACE_RECORDS) -> None:
        self._file: TextIO | None = file
        self._origin = origin
        self._limit = limit
        self.events = 0
        self.truncated = False
        self.problem: str | None = None

    @classmethod
    def create(cls, path: Path, *, origin: float, source: str) -> TraceWriter:
        """Create (or replace) the trace file at `path` and write its first line.

        Raises:
            UsageError: The file cannot be written, in one line.
        """
        try:
            file = path.open("w", encoding="utf-8", newline="\n")
            file.write(_line({"format": TRACE_FORMAT, "version": TRACE_VERSION, "source": source}))
        except OSError as exc:
            raise UsageError(f"--record {path}: cannot write ({exc.strerror or exc})") from None
        return cls(file, origin=origin)

    def arrived(self, now: float, method: str, path: str) -> None:
        """Write an arrival line."""
        self._write(
            {
                "at": _seconds(now - self._origin),
                "event": "arrival",
                "request": request_name(method, path),
            }
        )

    def answered(self, began: float, method: str, path: str, answer: Answer) -> None:
        """Write an answer line."""
        line: dict[str, object] = {
            "at": _seconds(began - self._origin),
            "event": "answer",
            "request": request_name(method, path),
        }
        if answer.kind is AnswerKind.STATUS:
            line["status"] = answer.status
        else:
            line["error"] = answer.kind.value
        line["latency"] = _seconds(answer.latency)
        self._write(line)

    def _write(self, event: dict[str, object]) -> None:
        file = self._file
        if file is None:
            return
        try:
            if self.events >= self._limit:
                self.truncated = True
                file.write(_line({"event": "truncated"}))
                self.close()
                return
            file.write(_line(event))
        except OSError as exc:
            self.problem = f"the trace stopped after {self.events} events: {exc.strerror or exc}"
            self._file = None
            return
        self.events += 1

    def close(self) -> None:
        """Flush and close the file (once)."""
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                self.problem = f"the trace could not be completed: {exc.strerror or exc}"


def _line(event: dict[str, object]) -> str:
    return json.dumps(event, separators=(", ", ": "), allow_nan=False) + "\n"


class TraceMemory:
    """Keeps a run's arrivals and answers in memory, up to `limit` events in all."""

    def __init__(self, *, origin: float, limit: int = MAX_TRACE_RECORDS) -> None:
        self._origin = origin
        self._limit = limit
        self.arrivals: list[Arrival] = []
        self.exchanges: list[Exchange] = []
        self.truncated = False

    def _room(self) -> bool:
        if len(self.arrivals) + len(self.exchanges) >= self._limit:
            self.truncated = True
        return not self.truncated

    def arrived(self, now: float, method: str, path: str) -> None:
        """Keep an arrival."""
        if self._room():
            self.arrivals.append(Arrival(_seconds(now - self._origin), request_name(method, path)))

    def answered(self, began: float, method: str, path: str, answer: Answer) -> None:
        """Keep an answer."""
        if self._room():
            self.exchanges.append(
                Exchange(_seconds(began - self._origin), request_name(method, path), answer)
            )


class Tee:
    """Hands every arrival and answer to each of its recorders, in order."""

    def __init__(self, *recorders: Recorder) -> None:
        self._recorders = recorders

    def arrived(self, now: float, method: str, path: str) -> None:
        """Tell each recorder."""
        for recorder in self._recorders:
            recorder.arrived(now, method, path)

    def answered(self, began: float, method: str, path: str, answer: Answer) -> None:
        """Tell each recorder."""
        for recorder in self._recorders:
            recorder.answered(began, method, path, answer)

"""Read a trace back: every line checked, one line of error for the first that is wrong.

A trace is read whole into memory (its bound, `limits.MAX_TRACE_RECORDS`, keeps that
small), then sorted by time: answers are written as they end, not as they begin.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_SECONDS, MAX_TRACE_RECORDS
from resilience_cli.trace._records import (
    TRACE_FORMAT,
    TRACE_VERSION,
    Answer,
    AnswerKind,
    Arrival,
    Exchange,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path
    from typing import TextIO

    from resilience_cli.trace.recorder import TraceMemory

_MAX_LINE: Final = 4096  # characters; a written line is about 100
_MAX_REQUEST: Final = 2048
_LOWEST_STATUS, _HIGHEST_STATUS = 100, 599
_ERRORS: Final = {kind.value: kind for kind in AnswerKind if kind is not AnswerKind.STATUS}


class TraceError(UsageError):
    """A trace file that is missing, unreadable, corrupt, or from a newer version."""


@dataclass(frozen=True, slots=True)
class Trace:
    """A recorded run: its arrivals and its answers, each in time order."""

    source: str
    arrivals: tuple[Arrival, ...]
    exchanges: tuple[Exchange, ...]
    truncated: bool = False

    @property
    def duration(self) -> float:
        """Seconds from the start to the last event."""
        last = [events[-1].at for events in (self.arrivals, self.exchanges) if events]
        return max(last, default=0.0)

    @classmethod
    def of(cls, memory: TraceMemory, source: str) -> Trace:
        """What an in-memory recorder kept, sorted as a file would be read."""
        return cls(
            source,
            _sorted(memory.arrivals),
            _sorted(memory.exchanges),
            memory.truncated,
        )


_Event = TypeVar("_Event", Arrival, Exchange)


def _sorted(events: Iterable[_Event]) -> tuple[_Event, ...]:
    return tuple(sorted(events, key=lambda event: event.at))


def read_trace(path: Path) -> Trace:
    """Read and check the trace at `path`.

    Raises:
        TraceError: The first problem, in one line naming the file and the line.
    """
    try:
        with path.open(encoding="utf-8") as file:
            return _read(_lines(file), str(path))
    except FileNotFoundError:
        raise TraceError(f"trace {path}: no such file") from None
    except UnicodeDecodeError:
        raise TraceError(f"trace {path}: not UTF-8 text") from None
    except OSError as exc:
        raise TraceError(f"trace {path}: cannot read ({exc.strerror or exc})") from None


def _lines(file: TextIO) -> Iterator[str]:
    """The file's lines, each read at most one past the longest allowed."""
    while line := file.readline(_MAX_LINE + 1):
        yield line


def _read(lines: Iterable[str], name: str) -> Trace:
    arrivals: list[Arrival] = []
    exchanges: list[Exchange] = []
    source = ""
    truncated = False
    number = 0
    for number, line in enumerate(lines, start=1):
        where = f"trace {name}:{number}"
        if len(line) > _MAX_LINE:
            raise TraceError(f"{where}: a line longer than {_MAX_LINE} characters")
        event = _object(line, where)
        if number == 1:
            source = _header(event, where)
            continue
        if truncated:
            raise TraceError(f"{where}: an event after `truncated`")
        if len(arrivals) + len(exchanges) >= MAX_TRACE_RECORDS:
            raise TraceError(f"{where}: more than {MAX_TRACE_RECORDS:,} events")
        kind = event.get("event")
        if kind == "arrival":
            arrivals.append(Arrival(_at(event, where), _request(event, where)))
        elif kind == "answer":
            exchanges.append(
                Exchange(_at(event, where), _request(event, where), _answer(event, where))
            )
        elif kind == "truncated":
            truncated = True
        else:
            raise TraceError(f"{where}: event {kind!r} is not arrival, answer or truncated")
    if number == 0:
        raise TraceError(f"trace {name}: empty, not a trace")
    return Trace(source, _sorted(arrivals), _sorted(exchanges), truncated)


def _object(line: str, where: str) -> dict[str, object]:
    try:
        event = json.loads(line, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise TraceError(f"{where}: not a JSON object") from None
    if not isinstance(event, dict):
        raise TraceError(f"{where}: not a JSON object")
    return event


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are no times


def _header(event: dict[str, object], where: str) -> str:
    if event.get("format") != TRACE_FORMAT:
        raise TraceError(f"{where}: not a resilience trace (no format {TRACE_FORMAT!r})")
    version = event.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TraceError(f"{where}: version {version!r} is not a trace version")
    if version > TRACE_VERSION:
        raise TraceError(
            f"{where}: version {version} is newer than this resilience-cli reads"
            f" ({TRACE_VERSION}); upgrade it"
        )
    source = event.get("source", "")
    return source[:64] if isinstance(source, str) else ""


def _seconds(event: dict[str, object], key: str, where: str) -> float:
    value = event.get(key)
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_SECONDS
    ):
        raise TraceError(f"{where}: {key} must be seconds from 0 to {MAX_SECONDS:g}, got {value!r}")
    return float(value)


def _at(event: dict[str, object], where: str) -> float:
    return _seconds(event, "at", where)


def _request(event: dict[str, object], where: str) -> str:
    request = event.get("request")
    if not isinstance(request, str) or not request or len(request) > _MAX_REQUEST:
        raise TraceError(f"{where}: request must be text of 1 to {_MAX_REQUEST} characters")
    return request


def _answer(event: dict[str, object], where: str) -> Answer:
    latency = _seconds(event, "latency", where)
    status = event.get("status")
    error = event.get("error")
    if status is not None and error is None:
        if (
            not isinstance(status, int)
            or isinstance(status, bool)
            or not _LOWEST_STATUS <= status <= _HIGHEST_STATUS
        ):
            raise TraceError(f"{where}: status must be 100 to 599, got {status!r}")
        return Answer(AnswerKind.STATUS, latency, status)
    if status is None and isinstance(error, str) and error in _ERRORS:
        return Answer(_ERRORS[error], latency)
    raise TraceError(
        f"{where}: an answer has a status (100 to 599) or an error (timeout, connect_error)"
    )

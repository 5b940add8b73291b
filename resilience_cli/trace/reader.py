"""Read a trace back: every line checked, one line of error for the first that is wrong.

A trace is read whole into memory (its bound, `limits.MAX_TRACE_RECORDS`, keeps that
small), then sorted by time: answers are written as they end, not as they begin.
"""

from __future__ import annotations

import json
import math
import operator
import re
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
_NUMBER: Final = r"(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"  # JSON's grammar
# An event line exactly as `TraceWriter` writes it; anything else takes the JSON decoder.
_AS_WRITTEN: Final = re.compile(
    r'\{"at": ' + _NUMBER + r', "event": "(arrival|answer)", "request": "([^"\\\x00-\x1f]{1,2048})"'
    r'(?:, (?:"status": ([1-5][0-9]{2})|"error": "(timeout|connect_error)"), "latency": '
    + _NUMBER
    + r")?\}\n?"
).fullmatch
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
_AT: Final = operator.itemgetter(0)  # `at`, the first field of both


def _sorted(events: Iterable[_Event]) -> tuple[_Event, ...]:
    return tuple(sorted(events, key=_AT))


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


class _Bad(Exception):  # noqa: N818 - private: becomes a TraceError with the line's place
    """A line's problem, before its place in the file is added."""


class _Reader:
    """The trace so far; `line` checks and keeps one line, written traces on a fast path."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.exchanges: list[Exchange] = []
        self.requests: dict[str, str] = {}  # one string per request, however many lines
        self.known: dict[object, Answer] = {}
        self.known_written: dict[tuple[float, str | None, str | None], Answer] = {}
        self.source = ""
        self.truncated = False
        self.lines = 0

    def line(self, text: str) -> None:
        self.lines += 1
        if len(text) > _MAX_LINE:
            raise _Bad(f"a line longer than {_MAX_LINE} characters")
        written = _AS_WRITTEN(text)
        if written is not None and self.lines > 1 and not self.truncated:
            self._as_written(written)
            return
        event = _object(text)
        if self.lines == 1:
            self.source = _header(event)
            return
        if self.truncated:
            raise _Bad("an event after `truncated`")
        if len(self.arrivals) + len(self.exchanges) >= MAX_TRACE_RECORDS:
            raise _Bad(f"more than {MAX_TRACE_RECORDS:,} events")
        kind = event.get("event")
        if kind == "arrival":
            self.arrivals.append(Arrival(_at(event), self._request(event)))
        elif kind == "answer":
            at, request = _at(event), self._request(event)
            self.exchanges.append(Exchange(at, request, _answer(event, self.known)))
        elif kind == "truncated":
            self.truncated = True
        else:
            raise _Bad(f"event {kind!r} is not arrival, answer or truncated")

    def _as_written(self, match: re.Match[str]) -> None:
        """A line exactly as `TraceWriter` writes it: read without the JSON decoder.

        The pattern accepts only what the decoder would read to the same values (the JSON
        number grammar, a status of three digits 100 to 599, a request with no quote,
        backslash or control character), so both paths agree; the counts are checked
        here as there.
        """
        if len(self.arrivals) + len(self.exchanges) >= MAX_TRACE_RECORDS:
            raise _Bad(f"more than {MAX_TRACE_RECORDS:,} events")
        at_text, kind, request, status, error, latency_text = match.groups()
        at = float(at_text)
        if not 0 <= at <= MAX_SECONDS:
            raise _Bad(f"at must be seconds from 0 to {MAX_SECONDS:g}, got {at_text}")
        request = self.requests.setdefault(request, request)
        if kind == "arrival":
            if latency_text is not None:
                raise _Bad("an arrival has no answer")
            self.arrivals.append(Arrival(at, request))
            return
        if latency_text is None:
            raise _Bad("an answer has a status (100 to 599) or an error (timeout, connect_error)")
        latency = float(latency_text)
        if not 0 <= latency <= MAX_SECONDS:
            raise _Bad(f"latency must be seconds from 0 to {MAX_SECONDS:g}, got {latency_text}")
        key = (latency, status, error)
        answer = self.known_written.get(key)
        if answer is None:
            answer = self.known_written[key] = (
                Answer(AnswerKind.STATUS, latency, int(status))
                if status is not None
                else Answer(_ERRORS[error], latency)
            )
        self.exchanges.append(Exchange(at, request, answer))

    def _request(self, event: dict[str, object]) -> str:
        request = event.get("request")
        if type(request) is not str or not 0 < len(request) <= _MAX_REQUEST:
            raise _Bad(f"request must be text of 1 to {_MAX_REQUEST} characters")
        return self.requests.setdefault(request, request)


def _read(lines: Iterable[str], name: str) -> Trace:
    reader = _Reader()
    read = reader.line
    try:
        for text in lines:
            read(text)
    except _Bad as bad:
        raise TraceError(f"trace {name}:{reader.lines}: {bad}") from None
    if reader.lines == 0:
        raise TraceError(f"trace {name}: empty, not a trace")
    return Trace(
        reader.source, _sorted(reader.arrivals), _sorted(reader.exchanges), reader.truncated
    )


def _at(event: dict[str, object]) -> float:
    at = event.get("at")
    if type(at) is float and 0 <= at <= MAX_SECONDS:  # a written trace's, at once
        return at
    return _seconds(event, "at")


def _object(line: str) -> dict[str, object]:
    try:
        event = _DECODE(line)
    except (ValueError, RecursionError):
        raise _Bad("not a JSON object") from None
    if not isinstance(event, dict):
        raise _Bad("not a JSON object")
    return event


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are no times


# One decoder for every line: `json.loads` with an argument builds a new one each call.
_DECODE: Final = json.JSONDecoder(parse_constant=_no_constant).decode


def _header(event: dict[str, object]) -> str:
    if event.get("format") != TRACE_FORMAT:
        raise _Bad(f"not a resilience trace (no format {TRACE_FORMAT!r})")
    version = event.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Bad(f"version {version!r} is not a trace version")
    if version > TRACE_VERSION:
        raise _Bad(
            f"version {version} is newer than this resilience-cli reads ({TRACE_VERSION});"
            " upgrade it"
        )
    source = event.get("source", "")
    return source[:64] if isinstance(source, str) else ""


def _seconds(event: dict[str, object], key: str) -> float:
    value = event.get(key)
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_SECONDS
    ):
        raise _Bad(f"{key} must be seconds from 0 to {MAX_SECONDS:g}, got {value!r}")
    return float(value)


def _answer(event: dict[str, object], known: dict[object, Answer]) -> Answer:
    """The answer an event tells; equal answers are one object (`known`), to save memory."""
    latency = event.get("latency")
    if type(latency) is not float or not 0 <= latency <= MAX_SECONDS:
        latency = _seconds(event, "latency")
    status = event.get("status")
    error = event.get("error")
    key = (latency, type(status), status, error)  # the type too: 200.0 is not the status 200
    seen = known.get(key)
    if seen is not None:
        return seen
    answer = _new_answer(latency, status, error)
    known[key] = answer
    return answer


def _new_answer(latency: float, status: object, error: object) -> Answer:
    if status is not None and error is None:
        if (
            not isinstance(status, int)
            or isinstance(status, bool)
            or not _LOWEST_STATUS <= status <= _HIGHEST_STATUS
        ):
            raise _Bad(f"status must be 100 to 599, got {status!r}")
        return Answer(AnswerKind.STATUS, latency, status)
    if status is None and isinstance(error, str) and error in _ERRORS:
        return Answer(_ERRORS[error], latency)
    raise _Bad("an answer has a status (100 to 599) or an error (timeout, connect_error)")

"""What a trace holds: when each call arrived, and what the upstream did with each request.

A trace is JSON lines, version `TRACE_VERSION`. The first line says what the file is; then
each line is one event, in seconds since the run began (`at`, microseconds kept)::

    {"format": "resilience-trace", "version": 1, "source": "error"}
    {"at": 0.0, "event": "arrival", "request": "GET /status/500"}
    {"at": 0.0, "event": "answer", "request": "GET /status/500", "status": 500, "latency": 0.0012}
    {"at": 2.1, "event": "answer", "request": "GET /delay/3", "error": "timeout", "latency": 2.0}
    {"event": "truncated"}

An *arrival* is a logical call offered to the patterns, whatever they then did with it;
an *answer* is one request that reached the upstream (an attempt), and what came back: a
status, or `timeout` (no answer within `latency`), or `connect_error`. The patterns' own
decisions (the breaker's state, retries, fallbacks) are not written: a replay makes its
own. Answers are written as they end, so they are not in `at` order; a reader sorts them.
A request names its method and path, with secret query values masked (`redact_url`);
no header, body or base URL is written. `truncated` ends a trace that reached
`limits.MAX_TRACE_RECORDS`.

The events are `NamedTuple`s, as `patterns.outcome` makes its records: immutable, and
cheaper to build than a frozen dataclass, which tells when a long trace is read.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

TRACE_FORMAT: Final = "resilience-trace"
TRACE_VERSION: Final = 1
_TOO_MANY_REQUESTS: Final = 429
_SERVER_ERROR: Final = 500


class AnswerKind(StrEnum):
    """What the upstream did with a request."""

    STATUS = "status"  # it answered with an HTTP status
    TIMEOUT = "timeout"  # no answer within the attempt's timeout
    CONNECT_ERROR = "connect_error"  # no connection, or it dropped


class Answer(NamedTuple):
    """What the upstream did with one request, and after how long (seconds)."""

    kind: AnswerKind
    latency: float
    status: int = 0  # for STATUS only

    @property
    def failed(self) -> bool:
        """Whether the patterns count it as a failure: a 5xx, a 429, no answer."""
        if self.kind is not AnswerKind.STATUS:
            return True
        return self.status == _TOO_MANY_REQUESTS or self.status >= _SERVER_ERROR


class Arrival(NamedTuple):
    """A logical call offered to the patterns at `at` seconds into the run."""

    at: float
    request: str


class Exchange(NamedTuple):
    """A request that reached the upstream at `at` seconds into the run, and its answer."""

    at: float
    request: str
    answer: Answer

"""What a logical call came to: frozen records that reports and expectations read.

`CallOutcome` and `AttemptRecord` are made on every call, so they are `NamedTuple`s:
immutable like a frozen dataclass, but cheaper to build (one tuple, where a frozen
dataclass's `__init__` sets each field through `object.__setattr__`); their cost is part
of what `benchmarks/bench_pipeline_overhead.py` measures. `Failure`, made only when
something fails, stays a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Reason(StrEnum):
    """Why an attempt failed or a call fell back. These words appear in every report."""

    TIMEOUT = "timeout"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    HTTP_5XX = "http_5xx"
    HTTP_429 = "http_429"
    UNEXPECTED_STATUS = "unexpected_status"  # a status the failure rule does not count as ok
    CONNECT_ERROR = "connect_error"
    BREAKER_OPEN = "breaker_open"
    BULKHEAD_FULL = "bulkhead_full"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"


class OutcomeKind(StrEnum):
    """How a logical call ended."""

    SUCCESS = "success"  # the first attempt succeeded
    RECOVERED = "recovered"  # an attempt after the first succeeded
    FALLBACK = "fallback"  # every attempt failed or was refused; the fallback answered
    FAILED = "failed"  # as FALLBACK, but no fallback was configured


@dataclass(frozen=True, slots=True)
class Failure:
    """A classified failed attempt.

    `retry_after` is the upstream's own wait, in seconds, when it sent one (Retry-After).
    `counted` is False for a failure the rule leaves out (a timeout without `timeout` in
    `--fail-on`): the call still ends without an answer, but the breaker does not count it.
    """

    reason: Reason
    retryable: bool
    detail: str = ""
    retry_after: float | None = None
    counted: bool = True


class AttemptRecord(NamedTuple):
    """One attempt: its number (1 is the first call), how long it took, and how it failed."""

    number: int
    duration: float
    failure: Failure | None = None


class CallOutcome(NamedTuple, Generic[T]):
    """One logical call through the pipeline.

    `value` is the operation's result, or the fallback's when `kind` is FALLBACK. `reason`
    is None for SUCCESS and RECOVERED. `attempts` lists only attempts that ran, so a call
    the breaker refused outright has none.
    """

    kind: OutcomeKind
    value: T | None
    reason: Reason | None
    attempts: tuple[AttemptRecord, ...]
    duration: float
    detail: str = ""

    @property
    def retries(self) -> int:
        """Attempts made after the first."""
        return max(0, len(self.attempts) - 1)

"""Typed events: every decision a pattern makes, as a frozen record sent to a sink.

Nothing in the core prints or logs. A sink (the CLI's event log, a test's list)
decides what to do with events. Each event's `name` is dotted and in the past tense,
and its fields are flat, so a log line is just `name` plus the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol


@dataclass(frozen=True, slots=True)
class BreakerTransitioned:
    """The breaker moved from one state to another; `reason` says why, in numbers."""

    from_state: str
    to_state: str
    reason: str

    @property
    def name(self) -> str:
        """`breaker.opened`, `breaker.half_opened`, `breaker.closed`, `breaker.forced_open`."""
        verb = {"open": "opened", "half_open": "half_opened", "closed": "closed"}
        return f"breaker.{verb.get(self.to_state, self.to_state)}"


@dataclass(frozen=True, slots=True)
class CallRejected:
    """A pattern refused a call without running it."""

    name: ClassVar[str] = "call.rejected"
    pattern: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class AttemptFailed:
    """An attempt ran and failed."""

    name: ClassVar[str] = "attempt.failed"
    attempt: int
    reason: str
    duration: float
    detail: str


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """The retry layer will wait `delay` seconds, then run attempt `attempt`."""

    name: ClassVar[str] = "retry.scheduled"
    attempt: int
    delay: float
    cause: str
    retry_after: float | None


@dataclass(frozen=True, slots=True)
class RetryAbandoned:
    """The retry layer gave up before its attempts ran out; `why` says what stopped it."""

    name: ClassVar[str] = "retry.abandoned"
    attempt: int
    why: str


@dataclass(frozen=True, slots=True)
class RateLimitWaited:
    """A caller waited for a token."""

    name: ClassVar[str] = "rate_limit.waited"
    waited: float


@dataclass(frozen=True, slots=True)
class BulkheadQueued:
    """A caller found every slot busy and joined the queue."""

    name: ClassVar[str] = "bulkhead.queued"
    in_flight: int
    waiting: int


@dataclass(frozen=True, slots=True)
class CallFellBack:
    """The fallback answered a call, for `reason`."""

    name: ClassVar[str] = "call.fell_back"
    reason: str
    attempts: int


Event = (
    BreakerTransitioned
    | CallRejected
    | AttemptFailed
    | RetryScheduled
    | RetryAbandoned
    | RateLimitWaited
    | BulkheadQueued
    | CallFellBack
)


class EventSink(Protocol):
    """Receives every event. It must not block: it runs inside the call path."""

    def __call__(self, event: Event, /) -> None:
        """Take one event."""
        ...


def both(first: EventSink, second: EventSink) -> EventSink:
    """A sink that hands every event to `first`, then to `second`."""

    def each(event: Event, /) -> None:
        first(event)
        second(event)

    return each


class EventList:
    """A sink that keeps events in a list, for tests and for end-of-run reports."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event, /) -> None:
        """Append the event."""
        self.events.append(event)

    def names(self) -> list[str]:
        """The names of the events received, in order."""
        return [event.name for event in self.events]

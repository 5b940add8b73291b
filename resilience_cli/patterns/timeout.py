"""Timeouts: one per attempt, and a deadline for the whole logical call.

Both are enforced by the event loop's own timer, one timer per attempt (`within`, which
does what `asyncio.timeout` does without its context manager), set to whichever comes
first: the attempt timeout or what is left of the deadline. httpx's own per-phase
timeouts are not used: they fire through anyio cancel scopes, late under concurrency
(`benchmarks/bench_timeout.py` measures the loop's timer).

An attempt needs a minimum of time to mean anything (`min_attempt`, the floor): one that
would get less of the deadline than that does not start. It would only be cut, and a
cut attempt against a healthy upstream would count as its failure.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from resilience_cli.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TimeoutConfig:
    """`attempt` bounds each attempt, `total` the whole call with its retries (None: off).

    `min_attempt` is the least time an attempt may start with (0: no floor); an attempt
    timeout shorter than it is its own floor, so an attempt may always have all of it.
    """

    attempt: float | None = 10.0
    total: float | None = 30.0
    min_attempt: float = 0.05

    def __post_init__(self) -> None:
        for field, value in (("timeout.attempt", self.attempt), ("timeout.total", self.total)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ConfigError(field, f"must be > 0 seconds (or off), got {value}")
        if not (math.isfinite(self.min_attempt) and self.min_attempt >= 0):
            raise ConfigError(
                "timeout.min_attempt", f"must be >= 0 seconds (0: no floor), got {self.min_attempt}"
            )
        if self.total is not None and self.floor > 0 and self.floor >= self.total:
            # Not even the first attempt would start: every call would be refused.
            raise ConfigError(
                "timeout.min_attempt",
                f"must be below timeout.total {self.total:g}s (0: no floor),"
                f" got {self.min_attempt:g}",
            )

    @property
    def floor(self) -> float:
        """The least time an attempt may start with: min_attempt, or a shorter attempt."""
        attempt = self.attempt
        return self.min_attempt if attempt is None else min(self.min_attempt, attempt)


def attempt_budget(
    attempt: float | None, now: float, deadline: float | None
) -> tuple[float | None, bool]:
    """The timer for the next attempt: min(attempt timeout, time left before the deadline).

    Returns the seconds (None: no timer) and whether the deadline set that bound. A plain
    tuple, because this runs on every attempt.
    """
    if deadline is None:
        return attempt, False
    left = deadline - now
    if attempt is None or left < attempt:
        return left, True
    return attempt, False


class AttemptTimeoutError(TimeoutError):
    """The attempt's own timer ran out (not a `TimeoutError` the operation raised itself)."""


async def within(operation: Callable[[], Awaitable[T]], seconds: float) -> T:
    """Await `operation()`; after `seconds`, cancel it and raise `AttemptTimeoutError`.

    The same mechanism and bookkeeping as `asyncio.timeout` (one `loop.call_at` timer, and
    the task's cancel count restored so that an outer cancellation, Ctrl-C, still goes
    through as `CancelledError`), without its async context manager: `asyncio.timeout`
    builds an object and two coroutines per use, which cost more than the rest of the
    pipeline together (`benchmarks/bench_pipeline_overhead.py` times a bare
    `asyncio.timeout` beside the pipeline).
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("within() must run inside a task")
    cancelling = task.cancelling()
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = loop.call_at(loop.time() + seconds, expire)
    try:
        value = await operation()
    except asyncio.CancelledError:
        timer.cancel()
        if expired and task.uncancel() <= cancelling:
            raise AttemptTimeoutError from None
        raise
    except BaseException:
        timer.cancel()
        if expired:
            task.uncancel()  # as asyncio.timeout does: the timer's cancel request is spent
        raise
    timer.cancel()
    if expired:
        task.uncancel()  # it finished in the very turn the timer fired: keep its result
    return value

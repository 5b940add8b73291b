"""Rate limiter: a token bucket that keeps its debts.

The bucket holds up to `burst` tokens and refills at `rate` per second. A caller takes a
token at once when one is there. Otherwise it *reserves* the next one: the level goes
below zero and the caller sleeps until the refill pays the debt back, at most `max_wait`
seconds, or it is rejected without reserving anything.

Why reserve instead of clamping the level at zero: a bucket that clamps forgets how late
each waiter woke up, so on a busy loop every late wake-up loses credit (aiolimiter with a
bucket of 1 at 50/s delivers 33/s on a busy loop). Here the schedule is fixed when the
token is reserved, so lateness delays a caller but never lowers the long-run rate.
A cancelled waiter gives its reservation back when it is the last in line; one in the
middle of the line leaves its token spent, so the bucket never grants more than its
burst plus its rate.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resilience_cli.errors import ConfigError, RateLimitedError
from resilience_cli.patterns.events import RateLimitWaited

if TYPE_CHECKING:
    from resilience_cli.clock import Clock
    from resilience_cli.patterns.events import EventSink


@dataclass(frozen=True, slots=True)
class RateLimiterConfig:
    """`rate` tokens per second, a bucket of `burst`, and how long a caller may wait."""

    rate: float = 50.0
    burst: int = 10
    max_wait: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ConfigError("rate_limiter.rate", f"must be > 0 per second, got {self.rate}")
        if self.burst < 1:
            raise ConfigError("rate_limiter.burst", f"must be >= 1, got {self.burst}")
        if not (math.isfinite(self.max_wait) and self.max_wait >= 0):
            raise ConfigError("rate_limiter.max_wait", f"must be >= 0 seconds, got {self.max_wait}")


@dataclass(frozen=True, slots=True)
class RateLimiterStatistics:
    """A snapshot of the limiter: tokens now (negative while reserved), grants, rejections."""

    level: float
    granted: int
    waited: int
    rejected: int


def refill(level: float, elapsed: float, rate: float, burst: int) -> float:
    """The bucket's level after `elapsed` seconds; a debt is paid back, never forgiven."""
    return min(float(burst), level + elapsed * rate)


def wait_for_token(level: float, rate: float) -> float:
    """Seconds until the bucket at `level` can hand out one more token."""
    return 0.0 if level >= 1 else (1.0 - level) / rate


class RateLimiter:
    """A token bucket; time comes from the clock, waits from the clock's event loop."""

    def __init__(
        self,
        config: RateLimiterConfig | None = None,
        *,
        clock: Clock,
        events: EventSink | None = None,
    ) -> None:
        self.config = config or RateLimiterConfig()
        self._clock = clock
        self._events = events
        self._level = float(self.config.burst)  # a fresh bucket is full
        self._updated = clock.monotonic()
        self._granted = self._waited = self._rejected = 0
        self._reservations = 0  # tickets of waits handed out; the last one is the tail

    def _refill(self) -> float:
        now = self._clock.monotonic()
        config = self.config
        self._level = refill(self._level, now - self._updated, config.rate, config.burst)
        self._updated = now
        return self._level

    def wait_needed(self) -> float:
        """Seconds until a token would be free for the next caller; reserves nothing."""
        return wait_for_token(self._refill(), self.config.rate)

    def try_acquire(self) -> bool:
        """Take a token if one is there now; never waits."""
        if self._refill() >= 1:
            self._level -= 1
            self._granted += 1
            return True
        return False

    async def acquire(self, max_wait: float | None = None) -> float:
        """Take a token, waiting for it up to `max_wait` (the config's by default).

        Returns the seconds waited. Raises `RateLimitedError` when the token would come
        later than that.
        """
        limit = self.config.max_wait if max_wait is None else max_wait
        wait = wait_for_token(self._refill(), self.config.rate)
        if wait > limit:
            self._rejected += 1
            raise RateLimitedError(wait, limit)
        self._level -= 1
        self._granted += 1
        if wait > 0:
            self._waited += 1
            self._reservations += 1
            ticket = self._reservations
            try:
                await asyncio.sleep(wait)
            except asyncio.CancelledError:
                self._give_back(ticket)
                raise
            if self._events is not None:
                self._events(RateLimitWaited(wait))
        return wait

    def _give_back(self, ticket: int) -> None:
        """Return a cancelled reservation's token, if no one has reserved after it.

        A later waiter's wake-up time was computed past this token; handing the token to a
        newcomer as well would grant two in one slot, more than the burst. So a token given
        up in the middle of the queue is simply spent: the bucket may under-deliver by one,
        never over-deliver.
        """
        self._granted -= 1
        if ticket == self._reservations:
            self._reservations -= 1
            self._refill()
            self._level = min(float(self.config.burst), self._level + 1)

    def statistics(self) -> RateLimiterStatistics:
        """The limiter's counters and current level."""
        return RateLimiterStatistics(self._refill(), self._granted, self._waited, self._rejected)

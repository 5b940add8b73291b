"""Rate limiter: a token bucket that keeps its debts.

The bucket holds up to `burst` tokens and refills at `rate` per second. A caller takes a
token at once when one is there. Otherwise it *reserves* the next one: the level goes
below zero and the caller sleeps until the refill pays the debt back, at most `max_wait`
seconds, or it is rejected without reserving anything.

Why reserve instead of clamping the level at zero: a bucket that clamps forgets how late
each waiter woke up, so on a busy loop every late wake-up loses credit
(`test_a_busy_loop_does_not_lower_the_long_run_rate` plays that loop). Here the schedule
is fixed when the token is reserved, so lateness delays a caller but never lowers the
long-run rate.

Waiters form a line, each with the time its token is due; those times are one interval
(1/rate) apart, because each reservation is the token after the previous one. A waiter
cancelled before its token is due gives it back wherever it stands: the level rises by
one, and everyone behind it moves up one slot (each takes the due time of the one ahead).
The schedule is then exactly what it would have been had the cancelled caller never
come, so the bucket neither grants more than its burst plus its rate nor leaves a slot
unused while someone waits. A waiter cancelled after its token came due (a late wake-up)
has nothing to give back: that slot has passed.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
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


class _Place:
    """A waiter's place in line: when its token is due, and the timer that will wake it."""

    __slots__ = ("due", "timer", "woken")

    def __init__(self, due: float, woken: asyncio.Future[None]) -> None:
        self.due = due
        self.woken = woken
        self.timer: asyncio.TimerHandle | None = None


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
        self._line: deque[_Place] = deque()  # waiters, first due first

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
            arrived = self._updated  # _refill() just read the clock
            wait = await self._wait_in_line(arrived + wait) - arrived
            if self._events is not None:
                self._events(RateLimitWaited(wait))
        return wait

    async def _wait_in_line(self, due: float) -> float:
        """Sleep until the token reserved for `due` (or an earlier slot given back) is due."""
        loop = asyncio.get_running_loop()
        place = _Place(due, loop.create_future())
        place.timer = loop.call_later(due - self._updated, self._wake, place)
        self._line.append(place)
        self._waited += 1
        try:
            await place.woken
        except asyncio.CancelledError:
            self._leave_line(place)
            raise
        # Waiters leave the line when they resume, not when their timer fires: a waiter
        # woken and cancelled in the same instant still has its slot to give back.
        self._line.remove(place)  # found at once: waiters resume in the order of the line
        return place.due

    @staticmethod
    def _wake(place: _Place) -> None:
        if not place.woken.done():  # cancelled in this very loop turn: _leave_line decides
            place.woken.set_result(None)

    def _leave_line(self, place: _Place) -> None:
        """A waiter was cancelled: give its slot to the line behind it if it is still ahead."""
        self._granted -= 1
        self._waited -= 1
        if place.timer is not None:
            place.timer.cancel()
        line = self._line
        index = line.index(place)
        now = self._clock.monotonic()
        if place.due < now:
            del line[index]  # its slot came and went while the loop was busy: spent
            return
        # Until `place.due` the level stayed below zero, so no token was granted outside
        # the line and the bucket never hit its cap: giving the token back is exact.
        self._refill()
        self._level = min(float(self.config.burst), self._level + 1)
        loop = asyncio.get_running_loop()
        for behind in range(len(line) - 1, index, -1):
            later, ahead = line[behind], line[behind - 1]
            later.due = ahead.due
            if later.timer is not None:
                later.timer.cancel()
            later.timer = loop.call_later(later.due - now, self._wake, later)
        del line[index]

    def statistics(self) -> RateLimiterStatistics:
        """The limiter's counters and current level."""
        return RateLimiterStatistics(self._refill(), self._granted, self._waited, self._rejected)

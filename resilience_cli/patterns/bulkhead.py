"""Bulkhead: at most `max_concurrent` calls at once, and a bounded, fair queue.

A call that finds every slot busy joins a FIFO queue, if the queue has room
(`max_queue`), and waits at most `max_wait`; otherwise it is rejected. A slot that is
freed goes straight to the first waiter, so a newcomer can never overtake the queue.
`max_queue=0` rejects at once, as Resilience4j does by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resilience_cli.errors import BulkheadFullError, ConfigError
from resilience_cli.patterns.events import BulkheadQueued

if TYPE_CHECKING:
    from types import TracebackType

    from resilience_cli.patterns.events import EventSink


@dataclass(frozen=True, slots=True)
class BulkheadConfig:
    """Concurrent slots, and how many callers may wait and for how long (None: no bound)."""

    max_concurrent: int = 10
    max_queue: int | None = 100
    max_wait: float | None = 10.0

    def __post_init__(self) -> None:
        if self.max_concurrent < 1:
            raise ConfigError("bulkhead.max_concurrent", f"must be >= 1, got {self.max_concurrent}")
        if self.max_queue is not None and self.max_queue < 0:
            raise ConfigError("bulkhead.max_queue", f"must be >= 0, got {self.max_queue}")
        if self.max_wait is not None and not (math.isfinite(self.max_wait) and self.max_wait >= 0):
            raise ConfigError("bulkhead.max_wait", f"must be >= 0 seconds, got {self.max_wait}")


@dataclass(frozen=True, slots=True)
class BulkheadStatistics:
    """What the bulkhead holds now, and its peaks since it was made."""

    in_flight: int
    waiting: int
    peak_in_flight: int
    peak_waiting: int
    admitted: int
    rejected: int


class Bulkhead:
    """A counting gate with a FIFO queue; use `async with bulkhead:` or acquire/release."""

    def __init__(
        self, config: BulkheadConfig | None = None, *, events: EventSink | None = None
    ) -> None:
        self.config = config or BulkheadConfig()
        self._events = events
        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._peak_in_flight = self._peak_waiting = 0
        self._admitted = self._rejected = 0

    def try_acquire(self) -> bool:
        """Take a free slot now if there is one and nobody is queued ahead."""
        if self._in_flight < self.config.max_concurrent and not self._waiters:
            self._in_flight += 1
            self._admitted += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, queueing if allowed. Raises `BulkheadFullError` when it cannot."""
        if self.try_acquire():
            return
        config = self.config
        if (config.max_queue is not None and len(self._waiters) >= config.max_queue) or (
            config.max_wait == 0
        ):
            self._rejected += 1
            raise BulkheadFullError(
                f"{self._in_flight} of {config.max_concurrent} slots busy,"
                f" queue {len(self._waiters)} of {config.max_queue} full"
            )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._peak_waiting = max(self._peak_waiting, len(self._waiters))
        if self._events is not None:
            self._events(BulkheadQueued(self._in_flight, len(self._waiters)))
        try:
            async with asyncio.timeout(config.max_wait):
                await waiter
        except TimeoutError:
            if self._handed_over(waiter):
                return  # the slot arrived as the wait ran out: keep it
            self._rejected += 1
            raise BulkheadFullError(
                f"waited {config.max_wait:g}s for one of {config.max_concurrent} slots"
            ) from None
        except asyncio.CancelledError:
            if self._handed_over(waiter):
                self.release()  # pass the slot on rather than leak it
            raise

    def _handed_over(self, waiter: asyncio.Future[None]) -> bool:
        if waiter.done() and not waiter.cancelled():
            return True
        waiter.cancel()
        # A release() may already have popped and skipped this cancelled waiter.
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)
        return False

    def release(self) -> None:
        """Free a slot, handing it to the first live waiter if there is one.

        Raises `RuntimeError` when no slot is held: a release without its acquire is a bug
        in the caller, and ignoring it would hide one that, while other calls hold slots,
        silently lets one call too many in (that case cannot be told apart from a
        legitimate release). RuntimeError, as `asyncio.Lock.release()` and anyio's
        `CapacityLimiter.release()` raise for a release of what is not held
        (`asyncio.BoundedSemaphore` raises ValueError for its over-release).
        """
        if self._in_flight == 0:
            # No slot held means no one waits either: waiters queue only when all are busy.
            raise RuntimeError("Bulkhead.release() without a slot held")
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._admitted += 1
                return
        self._in_flight -= 1

    def statistics(self) -> BulkheadStatistics:
        """Slots in use, callers waiting, and the peaks of both."""
        return BulkheadStatistics(
            self._in_flight,
            len(self._waiters),
            self._peak_in_flight,
            self._peak_waiting,
            self._admitted,
            self._rejected,
        )

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

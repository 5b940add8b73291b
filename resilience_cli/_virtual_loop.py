"""The event loop of a `VirtualClock`: it jumps to the next timer instead of waiting.

Apart from `clock.py` so that importing the clock does not import asyncio.
"""

from __future__ import annotations

import asyncio
import math
import selectors
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from selectors import SelectorKey

    from resilience_cli.clock import VirtualClock

_NANOSECOND: Final = 1e-9  # what asyncio takes for the system clock's resolution


class _AutojumpSelector(selectors.DefaultSelector):
    """A selector that turns "block until the next timer" into "jump to the next timer"."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    # The stdlib types SelectorKey.data as Any; overriding select() cannot avoid naming it.
    def select(  # type: ignore[explicit-any]
        self, timeout: float | None = None
    ) -> list[tuple[SelectorKey, int]]:
        """Return ready I/O if any; otherwise jump the clock by `timeout` instead of waiting."""
        ready = super().select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if timeout is None:
            # No timer is pending, so only another thread can wake us: wait for it for real.
            return super().select(None)
        self._clock.jump(timeout)
        return []


class VirtualEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose `time()` is a `VirtualClock`."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_AutojumpSelector(clock))
        self.clock = clock

    def time(self) -> float:
        """The virtual clock's monotonic time."""
        return self.clock.monotonic()

    # asyncio runs a timer once `when < time() + _clock_resolution`. The base class sets
    # the resolution of the system's monotonic clock (1 ns); ours is a float, whose
    # resolution is the gap to the next float, and that gap grows with the time: past
    # 2**24 s it exceeds 2 ns, `time() + 1e-9 == time()`, and a timer due now never runs
    # while the loop spins at full speed. Two gaps cover a jump that lands one gap short
    # of the timer, as `now + (when - now)` may.
    @property
    def _clock_resolution(self) -> float:
        return max(_NANOSECOND, 2 * math.ulp(self.clock.monotonic()))

    @_clock_resolution.setter
    def _clock_resolution(self, value: float) -> None:
        del value  # the base class's, for the system clock: not ours

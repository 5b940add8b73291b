"""The event loop of a `VirtualClock`: it jumps to the next timer instead of waiting.

Apart from `clock.py` so that importing the clock does not import asyncio.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectors import SelectorKey

    from resilience_cli.clock import VirtualClock


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

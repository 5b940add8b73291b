"""Time as an interface: every wait in resilience-cli reads its time from a `Clock`.

A `Clock` answers two questions and nothing else, as trio's `Clock` does: the monotonic
time (for durations and deadlines) and the wall time (for what is saved and shown).

- `SystemClock` reads this machine's clocks.
- `PausableClock` is another clock with paused time taken out: `run --interactive`
  stops it while the presenter talks.
- `VirtualClock` (`virtual_time.py`) moves only when told to, or when its event loop has
  nothing else to do.

Which event loop waits in a clock's time is not the clock's business: `event_loops.py`
picks it (`event_loop_for`). So this module imports no asyncio, and `resilience state`,
which only reads the time, never pays for it.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator


class Clock(Protocol):
    """Where the patterns read time from."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards; only differences mean anything."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch; persisted, so it must survive a restart."""
        ...


class SystemClock:
    """The real clocks of this machine."""

    __slots__ = ()

    # The C functions themselves, not wrappers: the pipeline reads the clock two or three
    # times per call, and a Python frame each time would cost more than the read.
    monotonic = staticmethod(time.monotonic)  # the same base as asyncio's default loop
    wall = staticmethod(time.time)


class PausableClock:
    """A clock that stands still while paused: paused time never passed, for everything.

    `run --interactive` pauses it while the prompt waits for Enter, so that a teacher may
    explain a step for as long as it takes: a breaker opened before the prompt has as much
    of its open window left after it. `monotonic()` and `wall()` both leave the paused
    seconds out, so times shown and saved during such a run are the run's own, behind the
    wall clock by the time spent at the prompt.

    Its event loop is its source's (`event_loop_for`), whose timers keep the source's
    time. That is coherent because every wait is relative (`loop.time() + seconds`:
    nothing compares an absolute time of this clock with the loop's) and because the
    prompt comes between steps, when no call is in flight and no timer is pending.
    """

    __slots__ = ("_paused", "_since", "_source")

    def __init__(self, source: Clock) -> None:
        self._source = source
        self._paused = 0.0  # seconds, over every pause that has ended
        self._since: float | None = None  # the source's monotonic time the pause began at

    @property
    def source(self) -> Clock:
        """The clock this one takes its time from."""
        return self._source

    @property
    def is_paused(self) -> bool:
        """Whether time stands still now."""
        return self._since is not None

    def monotonic(self) -> float:
        """The source's monotonic time, less every paused second; still while paused."""
        now = self._source.monotonic() if self._since is None else self._since
        return now - self._paused

    def wall(self) -> float:
        """The source's wall time, less every paused second; still while paused."""
        return self._source.wall() - self._paused - self._pausing()

    def pause(self) -> None:
        """Stop time until `resume()`."""
        if self._since is not None:
            raise RuntimeError("the clock is already paused")
        self._since = self._source.monotonic()

    def resume(self) -> None:
        """Let time run again, as if the pause had never been."""
        if self._since is None:
            raise RuntimeError("the clock is not paused")
        self._paused += self._pausing()
        self._since = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Time stands still inside the block, however it ends."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    def _pausing(self) -> float:
        return 0.0 if self._since is None else self._source.monotonic() - self._since

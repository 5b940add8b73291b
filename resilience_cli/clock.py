"""Time as an interface: every wait in resilience-cli goes through a `Clock`.

Three clocks exist:

- `SystemClock` reads the real monotonic and wall clocks and sleeps for real.
- `VirtualClock` owns a virtual "now". Its event loop (`VirtualEventLoop`) never blocks
  waiting for a timer: when no task can run and no I/O is ready, it jumps straight to the
  next timer, as trio's `MockClock(autojump_threshold=0)` does. Every `asyncio.sleep`,
  attempt timeout, backoff, open window and token wait therefore finishes at once, in
  the same order and with the same arithmetic as in real time.
- `PausableClock` is another clock with paused time taken out: `run --interactive`
  stops it while the presenter talks.

The patterns read *time* from the clock and *wait* with plain asyncio on the clock's loop
(`asyncio.sleep`, the loop timers of `within()` and of the rate limiter's line), so one
mechanism serves both worlds. Relative
deadlines only: the loop's time base and the clock's `monotonic()` are the same in the
virtual world (the loop reads the clock) and in the real one (asyncio's default loop uses
`time.monotonic`).

Virtual time suits in-process work (`httpx.ASGITransport`). Over real sockets it would
jump past a reply that is merely in flight, so it is not offered there.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Iterator

    from resilience_cli._virtual_loop import VirtualEventLoop

# 2026-01-01T00:00:00Z: a fixed wall-clock origin makes virtual runs byte-for-byte repeatable.
VIRTUAL_WALL_ORIGIN = 1_767_225_600.0


class Clock(Protocol):
    """Where the patterns read time from, and the event loop that waits in that time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards; only differences mean anything."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch; persisted, so it must survive a restart."""
        ...

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """An event loop whose timers run in this clock's time."""
        ...


class SystemClock:
    """The real clocks of this machine."""

    __slots__ = ()

    # The C functions themselves, not wrappers: the pipeline reads the clock two or three
    # times per call, and a Python frame each time would cost more than the read.
    monotonic = staticmethod(time.monotonic)  # the same base as asyncio's default loop
    wall = staticmethod(time.time)

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """A stock asyncio event loop."""
        import asyncio  # noqa: PLC0415 - commands that only read state never need asyncio

        return asyncio.new_event_loop()


class VirtualClock:
    """A clock that moves only when told to, or when its event loop has nothing else to do."""

    __slots__ = ("_now", "_wall_offset")

    def __init__(self, *, wall_origin: float = VIRTUAL_WALL_ORIGIN) -> None:
        self._now = 0.0
        self._wall_offset = wall_origin

    def monotonic(self) -> float:
        """Virtual seconds since the clock was made."""
        return self._now

    def wall(self) -> float:
        """The virtual wall clock: its origin plus the virtual seconds elapsed."""
        return self._wall_offset + self._now

    def jump(self, seconds: float) -> None:
        """Move time forward by `seconds`; timers that fall due fire on the next loop turn."""
        if seconds < 0:
            raise ValueError("time can't go backwards")
        self._now += seconds

    def set_wall(self, wall: float) -> None:
        """Set the wall clock to `wall`, backwards included, as an operator or NTP can.

        Monotonic time is untouched, exactly as on a real machine.
        """
        self._wall_offset = wall - self._now

    def new_event_loop(self) -> VirtualEventLoop:
        """An event loop that runs in this clock's time and jumps over idle waits."""
        from resilience_cli._virtual_loop import VirtualEventLoop  # noqa: PLC0415

        return VirtualEventLoop(self)


class PausableClock:
    """A clock that stands still while paused: paused time never passed, for everything.

    `run --interactive` pauses it while the prompt waits for Enter, so that a teacher may
    explain a step for as long as it takes: a breaker opened before the prompt has as much
    of its open window left after it. `monotonic()` and `wall()` both leave the paused
    seconds out, so times shown and saved during such a run are the run's own, behind the
    wall clock by the time spent at the prompt.

    The event loop is the source's, whose timers keep the source's time. That is coherent
    because every wait is relative (`loop.time() + seconds`: nothing compares an absolute
    time of this clock with the loop's) and because the prompt comes between steps, when
    no call is in flight and no timer is pending.
    """

    __slots__ = ("_paused", "_since", "_source")

    def __init__(self, source: Clock) -> None:
        self._source = source
        self._paused = 0.0  # seconds, over every pause that has ended
        self._since: float | None = None  # the source's monotonic time the pause began at

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

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """The source's event loop."""
        return self._source.new_event_loop()

    def _pausing(self) -> float:
        return 0.0 if self._since is None else self._source.monotonic() - self._since

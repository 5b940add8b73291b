"""Virtual time: a clock that moves only when told to, and the event loop that moves it.

Modelled on trio's `MockClock`:

- `VirtualClock` owns a virtual "now". `jump()` moves it forward; it never goes back.
- Its event loop (`VirtualEventLoop`) never sleeps waiting for a timer. Once nothing can
  run and no I/O is ready for `autojump_threshold` seconds of real time (0, the default:
  at once), it moves the clock to the next timer's due time, exactly, and runs it. Every
  `asyncio.sleep`, attempt timeout, backoff, open window and token wait therefore
  finishes at once, in the same order and with the same arithmetic as in real time.
- The wall clock starts at an origin chosen by one policy, `WallOrigin`: `FIXED`
  (`VIRTUAL_WALL_ORIGIN`) for runs that must repeat byte for byte (the tests), `NOW` (the
  real time) for runs whose state file must agree with real runs (`--virtual-time`).

Virtual time suits in-process work (`httpx.ASGITransport`). Over real sockets it would
jump past a reply that is merely in flight, so it is not offered there. The loop's time
base and the clock's `monotonic()` are one and the same, so `loop.time() + seconds` and
`clock.monotonic() + seconds` name the same moment.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import time
from enum import Enum
from typing import TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    from collections.abc import Callable
    from selectors import SelectorKey

# 2026-01-01T00:00:00Z: a fixed wall-clock origin makes virtual runs byte-for-byte repeatable.
VIRTUAL_WALL_ORIGIN: Final = 1_767_225_600.0
_NANOSECOND: Final = 1e-9  # what asyncio takes for the system clock's resolution


class WallOrigin(Enum):
    """Where a virtual clock's wall time starts: the one choice, and why each value exists."""

    # At `VIRTUAL_WALL_ORIGIN`: every run shows and saves the same times (the tests).
    FIXED = "fixed"
    # At the real time: a breaker opened in a virtual run is still open, by the wall
    # clock, for the next real one, so the state file stays coherent (`--virtual-time`).
    NOW = "now"

    def seconds(self) -> float:
        """The wall time, in seconds since the epoch, that a clock made now starts at."""
        return VIRTUAL_WALL_ORIGIN if self is WallOrigin.FIXED else time.time()


class VirtualClock:
    """A clock that moves only when told to, or when its event loop has nothing else to do.

    Args:
        wall_origin: Where the wall clock starts: a policy, or seconds since the epoch.
        autojump_threshold: Real seconds the loop must be idle before it jumps to the
            next timer; 0 jumps at once, `math.inf` never (then only `jump()` moves time).
    """

    __slots__ = ("_autojump_threshold", "_now", "_wall_offset")

    def __init__(
        self,
        *,
        wall_origin: float | WallOrigin = WallOrigin.FIXED,
        autojump_threshold: float = 0.0,
    ) -> None:
        self._now = 0.0
        self._wall_offset = (
            wall_origin.seconds() if isinstance(wall_origin, WallOrigin) else wall_origin
        )
        self._autojump_threshold = _checked_threshold(autojump_threshold)

    @property
    def autojump_threshold(self) -> float:
        """Real seconds of idleness after which the loop jumps to its next timer."""
        return self._autojump_threshold

    @autojump_threshold.setter
    def autojump_threshold(self, seconds: float) -> None:
        self._autojump_threshold = _checked_threshold(seconds)

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

    def advance_to(self, when: float) -> None:
        """Move monotonic time forward to `when` exactly (no sum that could round short)."""
        if when < self._now:
            raise ValueError("time can't go backwards")
        self._now = when

    def set_wall(self, wall: float) -> None:
        """Set the wall clock to `wall`, backwards included, as an operator or NTP can.

        Monotonic time is untouched, exactly as on a real machine.
        """
        self._wall_offset = wall - self._now


def _checked_threshold(seconds: float) -> float:
    if not seconds >= 0:  # also refuses NaN
        raise ValueError(f"autojump_threshold must be >= 0 seconds, got {seconds}")
    return seconds


class _AutojumpSelector(selectors.DefaultSelector):
    """A selector that turns "block until the next timer" into "jump to the next timer"."""

    def __init__(self, clock: VirtualClock, next_timer: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock
        self._next_timer = next_timer

    # The stdlib types SelectorKey.data as Any; overriding select() cannot avoid naming it.
    def select(  # type: ignore[explicit-any]
        self, timeout: float | None = None
    ) -> list[tuple[SelectorKey, int]]:
        """Return ready I/O if any; otherwise, once idle long enough, jump to the next timer."""
        ready = super().select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        threshold = self._clock.autojump_threshold
        if timeout is None or math.isinf(threshold):
            # Nothing to jump to (or no jumping): only I/O or another thread can wake us,
            # so wait for them for real.
            return super().select(None)
        if threshold > 0:
            ready = super().select(threshold)
            if ready:
                return ready
        # A positive timeout means a timer is pending. Straight to its own due time: exact
        # by construction, not by the rounding of `now + (when - now)`, and one jump even
        # past the one-day cap asyncio puts on a select's timeout.
        self._clock.advance_to(self._next_timer())
        return []


class VirtualEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose `time()` is a `VirtualClock`."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_AutojumpSelector(clock, self._next_timer))
        self.clock = clock

    def time(self) -> float:
        """The virtual clock's monotonic time."""
        return self.clock.monotonic()

    def _next_timer(self) -> float:
        """When the earliest pending timer is due; asyncio drops cancelled ones first."""
        # asyncio's own heap of timers (stable since Python 3.4; typeshed leaves it out).
        scheduled = cast("list[asyncio.TimerHandle]", vars(self)["_scheduled"])
        return scheduled[0].when()

    # asyncio runs a timer once `when < time() + _clock_resolution`. The base class sets
    # the resolution of the system's monotonic clock (1 ns); ours is a float, whose
    # resolution is the gap to the next float, and that gap grows with the time: past
    # 2**24 s it exceeds 2 ns, `time() + 1e-9 == time()`, and a timer due now never runs
    # while the loop spins at full speed. One gap would do for a timer due now; the
    # second is margin for a `when` its caller computed one rounding away.
    @property
    def _clock_resolution(self) -> float:
        return max(_NANOSECOND, 2 * math.ulp(self.clock.monotonic()))

    @_clock_resolution.setter
    def _clock_resolution(self, value: float) -> None:
        del value  # the base class's, for the system clock: not ours

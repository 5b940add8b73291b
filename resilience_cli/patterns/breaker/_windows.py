"""The breaker's sliding windows: the last N calls, or the calls of the last N seconds.

Both keep running totals, so that a rule reads them in constant time, and both satisfy
`_transitions.Window`: the steps add a call's mark at its time and read the totals.
"""

from __future__ import annotations

import math
from collections import deque

from resilience_cli.patterns.breaker._values import CALL_FAILED, CALL_SLOW, WindowStats


class CountWindow:
    """A count-based ring of the last `size` outcomes, with running totals."""

    __slots__ = ("_ring", "failures", "slow")

    def __init__(self, size: int) -> None:
        self._ring: deque[int] = deque(maxlen=size)
        self.failures = 0
        self.slow = 0

    @property
    def calls(self) -> int:
        """Calls in the window."""
        return len(self._ring)

    def add(self, flags: int, now: float) -> None:
        """Add a call's mark, evicting the oldest when the window is full."""
        del now  # a count-based window has no time
        ring = self._ring
        if len(ring) == ring.maxlen:
            evicted = ring[0]
            self.failures -= evicted & CALL_FAILED
            self.slow -= (evicted & CALL_SLOW) >> 1
        ring.append(flags)
        self.failures += flags & CALL_FAILED
        self.slow += (flags & CALL_SLOW) >> 1

    def stats(self) -> WindowStats:
        """The window's totals."""
        return WindowStats(len(self._ring), self.failures, self.slow)

    def clear(self) -> None:
        """Forget every call."""
        self._ring.clear()
        self.failures = self.slow = 0

    def marks(self) -> tuple[int, ...]:
        """The marks, oldest first: what the state file keeps."""
        return tuple(self._ring)


class TimeWindow:
    """Resilience4j's TIME_BASED window: the calls of the last `seconds` whole seconds.

    As in Resilience4j, each call lands in the bucket of its whole second (`floor(now)`),
    and the window is the bucket of the current second and those of the `seconds - 1`
    before it; buckets that fell out are dropped when the next call is added, so the
    totals read by a rule are always those of the call just added. Only seconds that saw
    a call hold a bucket: memory is bounded by the calls and by `seconds`, whichever is
    smaller.
    """

    __slots__ = ("_buckets", "_seconds", "calls", "failures", "slow")

    def __init__(self, seconds: int) -> None:
        self._seconds = seconds
        # Each bucket is [second, calls, failures, slow], oldest first.
        self._buckets: deque[list[int]] = deque()
        self.calls = 0
        self.failures = 0
        self.slow = 0

    def add(self, flags: int, now: float) -> None:
        """Add a call's mark at `now`, dropping the buckets older than the window."""
        second = math.floor(now)
        buckets = self._buckets
        oldest_kept = second - self._seconds + 1
        while buckets and buckets[0][0] < oldest_kept:
            _, calls, failures, slow = buckets.popleft()
            self.calls -= calls
            self.failures -= failures
            self.slow -= slow
        failed = flags & CALL_FAILED
        slow = (flags & CALL_SLOW) >> 1
        # A time never goes back in one time base; were it to, the call joins the newest.
        if buckets and buckets[-1][0] >= second:
            bucket = buckets[-1]
            bucket[1] += 1
            bucket[2] += failed
            bucket[3] += slow
        else:
            buckets.append([second, 1, failed, slow])
        self.calls += 1
        self.failures += failed
        self.slow += slow

    def stats(self) -> WindowStats:
        """The window's totals as of the last call added."""
        return WindowStats(self.calls, self.failures, self.slow)

    def clear(self) -> None:
        """Forget every call."""
        self._buckets.clear()
        self.calls = self.failures = self.slow = 0

    def marks(self) -> tuple[int, ...]:
        """Nothing: a time window's calls have times, which the state file does not keep."""
        return ()

"""Call durations, fed one at a time: count, min, max, mean and nearest-rank percentiles.

`Latencies` is the interface every report and expectation reads durations through:
`add(seconds)` as each call ends, `merge(other)` or `Latencies.combined(parts)` to put
endpoints (or, later, shards) together, then `count`, `min`, `max`, `mean` and
`percentile(p)`.

Today it is exact: it keeps each duration as an 8-byte float (not a Python object), so a
million calls cost 8 MB, and its percentiles are the exact nearest rank, the same figures
the reports have always shown. The stress work replaces the inside with a mergeable
log-bucketed histogram (fixed memory, percentiles within 1 % of the exact value) behind
this same interface; nothing that reads it changes.
"""

from __future__ import annotations

import heapq
import math
from array import array
from fractions import Fraction
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

# Sorted in runs of this many floats, then merged: sorting a whole array at once would
# first copy it into a list of Python floats, four times its own size.
SORT_RUN: Final = 65_536


def percentile(ordered: Sequence[float], percent: float) -> float:
    """The nearest-rank `percent` percentile (0 < percent <= 100) of sorted values.

    0 when there are none. The rank is exact: p(7) of 100 values is the 7th, where float
    arithmetic (0.07 * 100 = 7.000000000000001) would round up to the 8th.
    """
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(Fraction(repr(float(percent))) * len(ordered) / 100))
    return ordered[rank - 1]


def _sorted(samples: array[float]) -> array[float]:
    """`samples` in ascending order, with at most one extra run's worth of Python floats."""
    if len(samples) <= SORT_RUN:
        return array("d", sorted(samples))
    for start in range(0, len(samples), SORT_RUN):
        samples[start : start + SORT_RUN] = array("d", sorted(samples[start : start + SORT_RUN]))
    view = memoryview(samples)
    runs = (view[start : start + SORT_RUN] for start in range(0, len(samples), SORT_RUN))
    return array("d", heapq.merge(*runs))


class Latencies:
    """Durations in seconds, fed one call at a time, and what reports read of them.

    Empty, every figure is 0.0 (a report shows `0 ms`; an expectation sees no data by
    asking `count` first). Two are equal when they hold the same durations, in any order.
    """

    __slots__ = ("_max", "_min", "_ordered", "_samples")

    def __init__(self, seconds: Iterable[float] = ()) -> None:
        self._samples: array[float] = array("d")
        self._ordered = True
        self._min = math.inf
        self._max = -math.inf
        for value in seconds:
            self.add(value)

    def add(self, seconds: float) -> None:
        """Count one call that took `seconds`."""
        samples = self._samples
        if samples and seconds < samples[-1]:
            self._ordered = False
        samples.append(seconds)
        self._min = min(self._min, seconds)
        self._max = max(self._max, seconds)

    @classmethod
    def combined(cls, parts: Iterable[Latencies]) -> Latencies:
        """A new Latencies holding every duration of `parts` (a run's endpoints: its total).

        Each part is put in order, then all are merged in one pass, so the total is built
        once, in order, and never as an unsorted copy that would need sorting again.
        """
        ordered = [cls._in_order(part) for part in parts]
        whole = cls()
        if len(ordered) == 1:
            whole._samples.extend(ordered[0])
        elif ordered:
            whole._samples = array("d", heapq.merge(*ordered))
        if whole._samples:
            whole._min, whole._max = whole._samples[0], whole._samples[-1]
        return whole

    def merge(self, other: Latencies) -> None:
        """Add every duration `other` holds."""
        if not other._samples:
            return
        if self._samples:
            self._ordered = False
        else:
            self._ordered = other._ordered
        self._samples.extend(other._samples)
        self._min = min(self._min, other._min)
        self._max = max(self._max, other._max)

    @property
    def count(self) -> int:
        """How many durations were added."""
        return len(self._samples)

    @property
    def min(self) -> float:
        """The shortest duration, or 0.0."""
        return self._min if self._samples else 0.0

    @property
    def max(self) -> float:
        """The longest duration, or 0.0."""
        return self._max if self._samples else 0.0

    @property
    def mean(self) -> float:
        """The average duration, exactly rounded (`math.fsum`), or 0.0."""
        return math.fsum(self._samples) / len(self._samples) if self._samples else 0.0

    def percentile(self, percent: float) -> float:
        """The nearest-rank `percent` percentile (0 < percent <= 100), or 0.0."""
        return percentile(self._in_order(), percent)

    def _in_order(self) -> array[float]:
        if not self._ordered:
            self._samples = _sorted(self._samples)
            self._ordered = True
        return self._samples

    def __eq__(self, other: object) -> bool:
        """The same durations, in any order."""
        if not isinstance(other, Latencies):
            return NotImplemented
        return self._in_order() == other._in_order()

    # Equal by value and mutable, so unhashable, as a list is.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """`Latencies(count=3, min=0.01, max=0.4)`."""
        return f"Latencies(count={self.count}, min={self.min!r}, max={self.max!r})"

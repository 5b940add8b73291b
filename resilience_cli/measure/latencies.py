"""Call durations, fed one at a time: count, min, max, mean and nearest-rank percentiles.

`Latencies` is the interface every report and expectation reads durations through:
`add(seconds)` as each call ends, `merge(other)` or `Latencies.combined(parts)` to put
endpoints (or intervals, or shards) together, then `count`, `min`, `max`, `mean` and
`percentile(p)`.

Inside, it is a log-bucketed histogram (DDSketch's layout): bucket `i` holds the
durations in `(GAMMA**(i-1), GAMMA**i]`, with `GAMMA = (1 + ALPHA) / (1 - ALPHA)`, and
answers for them with the one value whose relative distance to every duration of the
bucket is at most `ALPHA` (0.5 %). The nearest-rank percentile falls in the bucket of the
exact nearest-rank duration, so a percentile is within 0.5 % of the exact one, and it is
clamped to `[min, max]`, which are exact: a single duration, or many equal ones, read
back exactly, and the first and last ranks (p(100) among them) are `min` and `max`
themselves. Durations of 1 ns or less count in a bucket of their own, read as `min`.

Memory is bounded by design: a bucket per 1 % of range, so at most about 3,200 buckets
from 1 ns to a day, whatever the number of calls (a run keeps a few dozen in practice).
Merging adds the buckets' counts, so endpoints, intervals and shards merge exactly.
`count`, `min` and `max` are exact; `mean` is a compensated (Neumaier) running sum, exact
to a few units in the last place.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

ALPHA: Final = 0.005
"""The histogram's relative accuracy: every percentile is within 0.5 % of the exact one."""
GAMMA: Final = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA: Final = math.log(GAMMA)
TINY: Final = 1e-9
"""Durations at or below this (1 ns: a call the virtual clock saw take no time) share one
bucket."""
_TINY_BUCKET: Final = -(2**31)  # below every other bucket's index


def percentile(ordered: Sequence[float], percent: float) -> float:
    """The exact nearest-rank `percent` percentile (0 < percent <= 100) of sorted values.

    0 when there are none. The rank is exact: p(7) of 100 values is the 7th, where float
    arithmetic (0.07 * 100 = 7.000000000000001) would round up to the 8th. `Latencies`
    estimates this same figure without keeping the values.
    """
    if not ordered:
        return 0.0
    return ordered[rank_of(percent, len(ordered)) - 1]


def rank_of(percent: float, count: int) -> int:
    """The 1-based nearest rank of `percent` among `count` values (at least 1)."""
    return max(1, math.ceil(Fraction(repr(float(percent))) * count / 100))


def bucket_of(seconds: float) -> int:
    """The index of the bucket that holds `seconds`."""
    if seconds <= TINY:
        return _TINY_BUCKET
    return math.ceil(math.log(seconds) / _LOG_GAMMA)


def bucket_value(index: int) -> float:
    """The value a bucket answers with: within ALPHA of every duration in it."""
    if index == _TINY_BUCKET:
        return 0.0
    return 2 * GAMMA**index / (GAMMA + 1)


class Latencies:
    """Durations in seconds, fed one call at a time, and what reports read of them.

    Empty, every figure is 0.0 (a report shows `0 ms`; an expectation sees no data by
    asking `count` first). Two are equal when they hold the same buckets, count, min and
    max: the same durations, in any order, are equal.
    """

    __slots__ = ("_buckets", "_count", "_max", "_min", "_sum", "_sum_error")

    def __init__(self, seconds: Iterable[float] = ()) -> None:
        self._buckets: dict[int, int] = {}
        self._count = 0
        self._min = math.inf
        self._max = -math.inf
        self._sum = 0.0
        self._sum_error = 0.0
        for value in seconds:
            self.add(value)

    def add(self, seconds: float) -> None:
        """Count one call that took `seconds`."""
        index = _TINY_BUCKET if seconds <= TINY else math.ceil(math.log(seconds) / _LOG_GAMMA)
        buckets = self._buckets
        buckets[index] = buckets.get(index, 0) + 1
        self._count += 1
        self._min = min(self._min, seconds)
        self._max = max(self._max, seconds)
        self._add_to_sum(seconds)

    def _add_to_sum(self, value: float) -> None:
        # Neumaier's compensated sum: the error of each addition is kept and added back.
        total = self._sum
        new = total + value
        if abs(total) >= abs(value):
            self._sum_error += (total - new) + value
        else:
            self._sum_error += (value - new) + total
        self._sum = new

    @classmethod
    def combined(cls, parts: Iterable[Latencies]) -> Latencies:
        """A new Latencies holding every duration of `parts` (a run's endpoints: its total)."""
        whole = cls()
        for part in parts:
            whole.merge(part)
        return whole

    def merge(self, other: Latencies) -> None:
        """Add every duration `other` holds."""
        if not other._count:
            return
        buckets = self._buckets
        for index, count in other._buckets.items():
            buckets[index] = buckets.get(index, 0) + count
        self._count += other._count
        self._min = min(self._min, other._min)
        self._max = max(self._max, other._max)
        self._add_to_sum(other._sum)
        self._sum_error += other._sum_error

    @property
    def count(self) -> int:
        """How many durations were added."""
        return self._count

    @property
    def min(self) -> float:
        """The shortest duration, exactly, or 0.0."""
        return self._min if self._count else 0.0

    @property
    def max(self) -> float:
        """The longest duration, exactly, or 0.0."""
        return self._max if self._count else 0.0

    @property
    def mean(self) -> float:
        """The average duration, or 0.0."""
        return (self._sum + self._sum_error) / self._count if self._count else 0.0

    @property
    def buckets(self) -> int:
        """Buckets in use: what the histogram holds in memory, whatever the count."""
        return len(self._buckets)

    def percentile(self, percent: float) -> float:
        """The nearest-rank `percent` percentile (0 < percent <= 100), within 0.5 %, or 0.0."""
        if not self._count:
            return 0.0
        rank = rank_of(percent, self._count)
        if rank == 1:
            return self._min
        if rank >= self._count:
            return self._max
        seen = 0
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                value = self._min if index == _TINY_BUCKET else bucket_value(index)
                return min(self._max, max(self._min, value))
        return self._max  # pragma: no cover - the counts add up to `count`

    def __eq__(self, other: object) -> bool:
        """The same buckets, count, min and max: the same durations, in any order."""
        if not isinstance(other, Latencies):
            return NotImplemented
        return (self._count, self.min, self.max, self._buckets) == (
            other._count,
            other.min,
            other.max,
            other._buckets,
        )

    # Equal by value and mutable, so unhashable, as a list is.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """`Latencies(count=3, min=0.01, max=0.4)`."""
        return f"Latencies(count={self.count}, min={self.min!r}, max={self.max!r})"

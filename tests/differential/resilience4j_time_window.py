"""A reference model of Resilience4j's TIME_BASED sliding window, from its documentation.

https://resilience4j.readme.io/docs/circuitbreaker, "Time-based sliding window", quoted:

    The time-based sliding window is implemented with a circular array of N partial
    aggregations (buckets). If the time window size is 10 seconds, the circular array has
    always 10 partial aggregations (buckets). Every bucket aggregates the outcome of all
    calls which happen in a certain epoch second. (Partial aggregation). The head bucket
    of the circular array stores the call outcomes of the current epoch second. The other
    partial aggregations store the call outcomes of the previous seconds. [...] The total
    aggregation is updated incrementally when a new call outcome is recorded. When the
    oldest bucket is evicted, the partial total aggregation of that bucket is subtracted
    from the total aggregation and the bucket is reset. (Subtract-on-Evict)

and, from "Failure rate and slow call rate thresholds": the breaker opens when "the failure
rate is equal or greater than a configurable threshold", once `minimumNumberOfCalls` have
been recorded ("If only 9 calls have been recorded, the CircuitBreaker will not transition
to open, even if all 9 calls have failed"). Rates are in percent.

Written as the documentation draws it (a circular array moved second by second), on
purpose unlike ours (a queue of the seconds that saw a call), so that the two agreeing
says something.
"""

from __future__ import annotations

import math


class _Bucket:
    def __init__(self, epoch_second: int) -> None:
        self.epoch_second = epoch_second
        self.calls = self.failed = self.slow = 0


class TimeBasedWindow:
    """SlidingTimeWindowMetrics, CLOSED-state recording only."""

    def __init__(
        self,
        *,
        window_size: int,
        minimum_number_of_calls: int,
        failure_rate_threshold: float,
        slow_call_rate_threshold: float,
        start: float = 0.0,
    ) -> None:
        self.size = window_size
        self.minimum = minimum_number_of_calls
        self.failure_rate_threshold = failure_rate_threshold  # percent
        self.slow_call_rate_threshold = slow_call_rate_threshold  # percent
        now = math.floor(start)
        self.buckets = [_Bucket(now - self.size + 1 + i) for i in range(self.size)]
        self.head = self.size - 1
        self.calls = self.failed = self.slow = 0

    def _move_to(self, epoch_second: int) -> None:
        head = self.buckets[self.head]
        steps = min(epoch_second - head.epoch_second, self.size)
        for step in range(1, steps + 1):
            self.head = (self.head + 1) % self.size
            evicted = self.buckets[self.head]
            self.calls -= evicted.calls
            self.failed -= evicted.failed
            self.slow -= evicted.slow
            self.buckets[self.head] = _Bucket(epoch_second - steps + step)

    def record(self, now: float, *, failed: bool, slow: bool) -> str:
        """Record one outcome; 'below_minimum', 'exceeded' or 'below_thresholds'."""
        self._move_to(math.floor(now))
        bucket = self.buckets[self.head]
        bucket.calls += 1
        bucket.failed += failed
        bucket.slow += slow
        self.calls += 1
        self.failed += failed
        self.slow += slow
        if self.calls < self.minimum:
            return "below_minimum"
        if (
            self.failed * 100.0 / self.calls >= self.failure_rate_threshold
            or self.slow * 100.0 / self.calls >= self.slow_call_rate_threshold
        ):
            return "exceeded"
        return "below_thresholds"

"""`RunMeter`: a run's Prometheus metrics, fed as it goes and read when scraped.

Counters move on the run's loop as calls finish and patterns decide (`call`, `dropped`,
and the meter is an event sink for the breaker's refusals). Gauges are read from the
patterns themselves at each scrape; the breaker's state may change just by being read
(OPEN turns HALF_OPEN when its wait is over), so a scrape from the server's thread asks
the run's loop to read them and waits for the answer (at most `READ_WAIT` seconds, then
it serves the last values read). Once the loop is gone (the run is over), a scrape reads
them in place: nothing else touches the patterns any more.

The names are Resilience4j's Micrometer names in Prometheus style (docs/patterns.md has
the table), with `name="upstream"`, the one instance a run has.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from resilience_cli.patterns import BreakerState
from resilience_cli.patterns.events import CallRejected
from resilience_cli.patterns.outcome import OutcomeKind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prometheus_client.metrics_core import Metric

    from resilience_cli.patterns import Bulkhead, CircuitBreaker, RateLimiter
    from resilience_cli.patterns.events import Event
    from resilience_cli.patterns.outcome import CallOutcome

INSTANCE: Final = "upstream"
"""The `name` label: Resilience4j names each instance; a run has one of each pattern."""
BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Call-duration buckets, in seconds: 1 ms to 10 s, about three a decade."""
READ_WAIT: Final = 1.0
"""Seconds a scrape waits for the run's loop to read the gauges."""
_GAVE_UP: Final = (OutcomeKind.FALLBACK, OutcomeKind.FAILED)
T = TypeVar("T")


class Patterns(Protocol):
    """What the meter reads of a run's pipeline (`patterns.Pipeline` is one)."""

    @property
    def breaker(self) -> CircuitBreaker | None: ...
    @property
    def bulkhead(self) -> Bulkhead | None: ...
    @property
    def rate_limiter(self) -> RateLimiter | None: ...


@dataclass(frozen=True, slots=True)
class _Gauges:
    """The patterns at one moment; None for a pattern that is off."""

    state: BreakerState | None = None
    failure_rate: float = -1.0
    slow_call_rate: float = -1.0
    bulkhead_available: int | None = None
    bulkhead_max: int = 0
    permissions: float | None = None
    waiting: int = 0


def _read(patterns: Patterns) -> _Gauges:
    """The gauges now: rates in percent, -1 below the breaker's minimum calls (as R4j)."""
    breaker, bulkhead, limiter = patterns.breaker, patterns.bulkhead, patterns.rate_limiter
    state, failure_rate, slow_rate = None, -1.0, -1.0
    if breaker is not None:
        state = breaker.state
        window = breaker.window
        if window.calls >= breaker.config.minimum_calls:
            failure_rate = 100 * window.failures / window.calls
            slow_rate = 100 * window.slow / window.calls
    available, most = None, 0
    if bulkhead is not None:
        most = bulkhead.config.max_concurrent
        available = max(0, most - bulkhead.statistics().in_flight)
    permissions, waiting = None, 0
    if limiter is not None:
        level = limiter.statistics().level
        permissions = max(0.0, level)
        # A waiting caller has reserved its token ahead: the level is minus the waiters.
        waiting = math.ceil(-level) if level < 0 else 0
    return _Gauges(state, failure_rate, slow_rate, available, most, permissions, waiting)


class RunMeter:
    """A run's metrics in a registry of their own (never the process-wide default one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        name = ("name",)
        self._breaker_calls = Counter(
            "resilience4j_circuitbreaker_calls",
            "Attempts the breaker counted (successful, failed) or refused (not_permitted)",
            [*name, "kind"],
            registry=self.registry,
        )
        self._retry = Counter(
            "resilience4j_retry_calls",
            "Calls by kind: successful_without_retry, successful_with_retry,"
            " failed_with_retry, failed_without_retry",
            [*name, "kind"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "resilience_call_duration_seconds",
            "Calls by duration, fallbacks included (a stress run counts from the scheduled"
            " arrival)",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._fallbacks = Counter(
            "resilience_fallbacks",
            "Calls answered by the fallback (or failed), by reason",
            ["reason"],
            registry=self.registry,
        )
        self._dropped = Counter(
            "resilience_stress_dropped_arrivals",
            "Stress arrivals dropped because --max-in-flight calls were in flight",
            registry=self.registry,
        )
        self._patterns: Patterns | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last = _Gauges()
        self.registry.register(_GaugeCollector(self))

    # -- fed by the run, on its loop -------------------------------------------------------

    def attach(self, patterns: Patterns) -> None:
        """Read the gauges from `patterns`, on the loop running now."""
        self._patterns = patterns
        self._loop = asyncio.get_running_loop()
        if patterns.breaker is not None:
            for kind in ("successful", "failed", "not_permitted"):
                self._breaker_kind(kind)  # every kind shows, at 0 until it happens

    def __call__(self, event: Event, /) -> None:
        """An event sink: counts the attempts the breaker refused."""
        if isinstance(event, CallRejected) and event.pattern == "breaker":
            self._breaker_kind("not_permitted").inc()

    def call(self, outcome: CallOutcome[T], duration: float) -> None:
        """Count one finished call that took `duration` seconds."""
        self._duration.observe(duration)
        retried = outcome.retries > 0
        if outcome.kind in (OutcomeKind.SUCCESS, OutcomeKind.RECOVERED):
            kind = "successful_with_retry" if retried else "successful_without_retry"
        else:
            kind = "failed_with_retry" if retried else "failed_without_retry"
        self._retry.labels(INSTANCE, kind).inc()
        if outcome.kind in _GAVE_UP and outcome.reason is not None:
            self._fallbacks.labels(outcome.reason.value).inc()
        if self._patterns is not None and self._patterns.breaker is not None:
            failed = sum(1 for attempt in outcome.attempts if attempt.failure is not None)
            if failed:
                self._breaker_kind("failed").inc(failed)
            if len(outcome.attempts) > failed:
                self._breaker_kind("successful").inc(len(outcome.attempts) - failed)

    def dropped(self) -> None:
        """A stress arrival was dropped."""
        self._dropped.inc()

    # -- read at a scrape -----------------------------------------------------------------

    def gauges(self) -> _Gauges:
        """The patterns now, read on the run's loop while it runs."""
        patterns, loop = self._patterns, self._loop
        if patterns is None:
            return self._last
        if loop is None or loop.is_closed() or not loop.is_running() or _on(loop):
            self._last = _read(patterns)
            return self._last
        answer: concurrent.futures.Future[_Gauges] = concurrent.futures.Future()

        def read() -> None:
            try:
                answer.set_result(_read(patterns))
            except Exception as exc:  # noqa: BLE001 - handed to the scraping thread
                answer.set_exception(exc)

        try:
            loop.call_soon_threadsafe(read)
            self._last = answer.result(timeout=READ_WAIT)
        except (RuntimeError, concurrent.futures.TimeoutError):
            pass  # the loop closed or is busy: the last values read stand
        return self._last

    def _breaker_kind(self, kind: str) -> Counter:
        return self._breaker_calls.labels(INSTANCE, kind)


def _on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is the one running `loop`."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _GaugeCollector:
    """The gauges, as metric families made at each scrape from what the meter reads."""

    def __init__(self, meter: RunMeter) -> None:
        self._meter = meter

    def collect(self) -> Iterator[Metric]:
        """The gauge families; a pattern that is off has no samples."""
        gauges = self._meter.gauges()
        yield from _breaker_families(gauges)
        available = GaugeMetricFamily(
            "resilience4j_bulkhead_available_concurrent_calls",
            "Free slots in the bulkhead",
            labels=["name"],
        )
        most = GaugeMetricFamily(
            "resilience4j_bulkhead_max_allowed_concurrent_calls",
            "Slots in the bulkhead",
            labels=["name"],
        )
        if gauges.bulkhead_available is not None:
            available.add_metric([INSTANCE], gauges.bulkhead_available)
            most.add_metric([INSTANCE], gauges.bulkhead_max)
        permissions = GaugeMetricFamily(
            "resilience4j_ratelimiter_available_permissions",
            "Tokens in the rate limiter's bucket",
            labels=["name"],
        )
        waiting = GaugeMetricFamily(
            "resilience4j_ratelimiter_waiting_threads",
            "Callers waiting for a token",
            labels=["name"],
        )
        if gauges.permissions is not None:
            permissions.add_metric([INSTANCE], gauges.permissions)
            waiting.add_metric([INSTANCE], gauges.waiting)
        yield from (available, most, permissions, waiting)


def _breaker_families(gauges: _Gauges) -> Iterator[Metric]:
    state = GaugeMetricFamily(
        "resilience4j_circuitbreaker_state",
        "1 for the breaker's state, 0 for the others",
        labels=["name", "state"],
    )
    failure = GaugeMetricFamily(
        "resilience4j_circuitbreaker_failure_rate",
        "Failed calls in the window, in percent; -1 below the minimum calls",
        labels=["name"],
    )
    slow = GaugeMetricFamily(
        "resilience4j_circuitbreaker_slow_call_rate",
        "Slow calls in the window, in percent; -1 below the minimum calls",
        labels=["name"],
    )
    if gauges.state is not None:
        for each in BreakerState:
            state.add_metric([INSTANCE, each.value], 1.0 if each is gauges.state else 0.0)
        failure.add_metric([INSTANCE], gauges.failure_rate)
        slow.add_metric([INSTANCE], gauges.slow_call_rate)
    yield from (state, failure, slow)

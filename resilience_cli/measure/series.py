"""A stress run over time: one row per interval, and the spans its expectations look at.

A stress run tells the series what happens as it happens: an arrival (at its scheduled
time), an arrival dropped because `max_in_flight` was full, a call that completed (with
its latency from the scheduled arrival), a breaker transition. The series counts each
into the interval it falls in, and into every `Window` it falls in; when an interval
ends the run closes it with the patterns' gauges read at that moment, and the interval
becomes an `IntervalRow`. A closed interval keeps its counts and three percentiles, not
its histogram, so the series grows with the run's duration, never with its calls.

What falls where: arrivals and drops by their scheduled arrival time, completions by the
time they completed, transitions by the time they happened.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from resilience_cli.measure.latencies import Latencies
from resilience_cli.patterns.outcome import OutcomeKind, Reason

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from resilience_cli.patterns import BreakerState, Transition
    from resilience_cli.patterns.outcome import CallOutcome

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Window:
    """A span of a run, in seconds from its start: `[start, end)`."""

    start: float
    end: float

    def __contains__(self, seconds: float) -> bool:
        return self.start <= seconds < self.end


@dataclass(frozen=True, slots=True)
class Moment:
    """A breaker transition, and when it happened in seconds from the run's start."""

    at: float
    transition: Transition


@dataclass(frozen=True, slots=True)
class Gauges:
    """The patterns at one moment; None for a pattern that is off."""

    breaker: BreakerState | None
    in_flight: int
    bulkhead_in_use: int | None
    bulkhead_queued: int | None
    tokens: float | None


class SpanTally:
    """What happened in a span: arrivals, drops, completions by kind and reason, latency."""

    __slots__ = (
        "arrivals",
        "calls",
        "dropped",
        "failed",
        "fallbacks",
        "latencies",
        "reasons",
        "recovered",
        "succeeded",
    )

    def __init__(self) -> None:
        self.arrivals = 0
        self.dropped = 0
        self.calls = 0
        self.succeeded = 0
        self.recovered = 0
        self.fallbacks = 0
        self.failed = 0
        self.reasons: Counter[Reason] = Counter()
        self.latencies = Latencies()

    def complete(self, outcome: CallOutcome[T], latency: float) -> None:
        """Count one call that completed, `latency` seconds after its scheduled arrival."""
        self.calls += 1
        kind = outcome.kind
        if kind is OutcomeKind.SUCCESS:
            self.succeeded += 1
        elif kind is OutcomeKind.RECOVERED:
            self.recovered += 1
        else:
            if kind is OutcomeKind.FALLBACK:
                self.fallbacks += 1
            else:
                self.failed += 1
            if outcome.reason is not None:
                self.reasons[outcome.reason] += 1
        self.latencies.add(latency)

    @property
    def by_reason(self) -> tuple[tuple[Reason, int], ...]:
        """Calls that fell back (or failed) by reason, in `Reason` order, zeros left out."""
        return tuple((reason, self.reasons[reason]) for reason in Reason if self.reasons[reason])


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One interval of a stress run: its counts, its latency, the patterns at its end.

    `states` are the breaker states it was in during the interval, in order (the state it
    began in, then each it moved to); `p50`, `p95`, `p99` are over the calls completed in
    it, in seconds from their scheduled arrival (0 when none completed).
    """

    start: float
    end: float
    target_rate: float
    arrivals: int
    dropped: int
    completions: int
    succeeded: int
    recovered: int
    fallbacks: int
    failed: int
    by_reason: tuple[tuple[Reason, int], ...]
    p50: float
    p95: float
    p99: float
    gauges: Gauges
    states: tuple[BreakerState, ...]

    @property
    def ok(self) -> int:
        """Calls that succeeded, at once or on a retry."""
        return self.succeeded + self.recovered

    @property
    def transitions(self) -> int:
        """Breaker transitions during the interval."""
        return max(0, len(self.states) - 1)


class StressSeries:
    """The intervals of a stress run as they happen, and its windows' spans.

    Args:
        windows: The spans expectations will judge, each counted as it happens.
        breaker: The breaker's state when the run began (None when it is off).
    """

    __slots__ = ("_current", "_opened_at", "_rows", "_spans", "_start_states", "_states")

    def __init__(self, windows: Iterable[Window] = (), breaker: BreakerState | None = None) -> None:
        self._rows: list[IntervalRow] = []
        self._current = SpanTally()
        self._opened_at = 0.0
        self._states: list[BreakerState] = [] if breaker is None else [breaker]
        self._spans = {window: SpanTally() for window in windows}
        # Each window's breaker state at its start, then every state it moved to inside it.
        self._start_states: dict[Window, list[BreakerState]] = {
            window: [] if breaker is None else [breaker] for window in windows
        }

    def arrive(self, at: float) -> None:
        """An arrival scheduled at `at` seconds into the run."""
        self._current.arrivals += 1
        for window, span in self._spans.items():
            if at in window:
                span.arrivals += 1

    def drop(self, at: float) -> None:
        """The arrival scheduled at `at` found `max_in_flight` full and was dropped."""
        self._current.dropped += 1
        for window, span in self._spans.items():
            if at in window:
                span.dropped += 1

    def complete(self, at: float, outcome: CallOutcome[T], latency: float) -> None:
        """A call completed at `at`, `latency` seconds after its scheduled arrival."""
        self._current.complete(outcome, latency)
        for window, span in self._spans.items():
            if at in window:
                span.complete(outcome, latency)

    def transition(self, at: float, to_state: BreakerState) -> None:
        """The breaker moved to `to_state` at `at` seconds into the run."""
        self._states.append(to_state)
        for window, states in self._start_states.items():
            if at < window.start:
                states[:] = [to_state]
            elif at < window.end:
                states.append(to_state)

    def close(self, end: float, gauges: Gauges, target_rate: float) -> IntervalRow:
        """End the current interval at `end` (seconds into the run) with the gauges now."""
        span = self._current
        latencies = span.latencies
        row = IntervalRow(
            start=self._opened_at,
            end=end,
            target_rate=target_rate,
            arrivals=span.arrivals,
            dropped=span.dropped,
            completions=span.calls,
            succeeded=span.succeeded,
            recovered=span.recovered,
            fallbacks=span.fallbacks,
            failed=span.failed,
            by_reason=span.by_reason,
            p50=latencies.percentile(50),
            p95=latencies.percentile(95),
            p99=latencies.percentile(99),
            gauges=gauges,
            states=tuple(self._states),
        )
        self._rows.append(row)
        self._current = SpanTally()
        self._opened_at = end
        self._states = self._states[-1:]
        return row

    @property
    def rows(self) -> Sequence[IntervalRow]:
        """The intervals closed so far, in order."""
        return self._rows

    @property
    def current(self) -> SpanTally:
        """The interval still open: what the live view shows between two rows."""
        return self._current

    def span(self, window: Window) -> SpanTally:
        """What happened in `window` (one of those the series was made with)."""
        return self._spans[window]

    def states_in(self, window: Window) -> tuple[BreakerState, ...]:
        """The breaker states `window` saw, in order: the one it began in, then each change."""
        return tuple(self._start_states[window])

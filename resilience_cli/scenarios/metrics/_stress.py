"""What a stress step measured: the call metrics of the whole run, its load, and its windows.

A stress step measures every metric a call step does, over the whole run (its calls are
calls), and `arrivals`, `dropped` (a Counter out of the arrivals) and `lateness` (how
late each arrival was launched). An expectation may also name a metric over a window of
the run (`_windows.py`): the counts of `StressSeries.span(window)` and the breaker states
of `StressSeries.states_in(window)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from resilience_cli.patterns import Reason
from resilience_cli.scenarios.metrics._kinds import Counter, Gauge, Metric, States, Trend
from resilience_cli.scenarios.metrics._measured import call_step_metrics
from resilience_cli.scenarios.metrics._namespace import INTO_STATE
from resilience_cli.scenarios.metrics._windows import split_window

if TYPE_CHECKING:
    from collections.abc import Iterable

    from resilience_cli.measure import Latencies, RunSummary, RunTally
    from resilience_cli.measure.series import SpanTally, StressSeries, Window
    from resilience_cli.patterns import BreakerState


class StressRun(Protocol):
    """What a stress run left for its expectations (`stress.run.StressResult` is one)."""

    @property
    def tally(self) -> RunTally: ...

    @property
    def series(self) -> StressSeries: ...

    @property
    def arrivals(self) -> int: ...

    @property
    def dropped(self) -> int: ...

    @property
    def lateness(self) -> Latencies: ...

    @property
    def duration(self) -> float: ...


def windows_of(names: Iterable[str], duration: float) -> dict[str, Window]:
    """The window of each windowed metric name, for a run whose arrivals last `duration`.

    The names have been checked (`known_metric`): a bad window never reaches a run.
    """
    windows: dict[str, Window] = {}
    for name in names:
        _, spec = split_window(name)
        if spec is not None:
            windows[name] = spec.window(duration)
    return windows


def stress_step_metrics(
    summary: RunSummary, run: StressRun, windows: dict[str, Window]
) -> dict[str, Metric]:
    """The metrics of a stress step: the call metrics, the load, and each window asked for.

    Args:
        summary: The run's summary (`measure.summarize`).
        run: The run: its tally, its series, its arrivals, drops and lateness.
        windows: Each windowed metric name the step's expectations use, and its window
            (`windows_of`); the series counted each of them as it went.
    """
    metrics = call_step_metrics(summary, run.tally)
    metrics["arrivals"] = Counter(run.arrivals, run.arrivals)
    metrics["dropped"] = Counter(run.dropped, run.arrivals)
    metrics["lateness"] = Trend(run.lateness)
    for name, window in windows.items():
        base, _ = split_window(name)
        metric = _windowed(base, run.series.span(window), run.series.states_in(window))
        if metric is not None:
            metrics[name] = metric
    return metrics


def _windowed(  # noqa: PLR0911 - one return per family
    base: str, span: SpanTally, states: tuple[BreakerState, ...]
) -> Metric | None:
    """`base` over a window (one of `WINDOWED`, which `known_metric` saw to)."""
    calls = span.calls
    counts = {
        "calls": span.calls,
        "outcome.success": span.succeeded,
        "outcome.recovered": span.recovered,
        "outcome.fallback": span.fallbacks,
        "outcome.failed": span.failed,
        "outcome.ok": span.succeeded + span.recovered,
    }
    if base in counts:
        return Counter(counts[base], calls)
    if base == "arrivals":
        return Counter(span.arrivals, span.arrivals)
    if base == "dropped":
        return Counter(span.dropped, span.arrivals)
    if base.startswith("fallback."):
        return Counter(span.reasons[Reason(base.removeprefix("fallback."))], calls)
    if base == "latency":
        return Trend(span.latencies)
    if base == "breaker.state":
        return States(tuple(state.value for state in states)) if states else None
    if base == "breaker.transitions":
        return Gauge(max(0, len(states) - 1))
    into = {name: state for state, name in INTO_STATE.items()}[base]  # breaker.opened, ...
    return Gauge(sum(1 for state in states[1:] if state == into))

"""What a step measured, by metric name: read from its summary and its tally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resilience_cli.patterns import Reason
from resilience_cli.scenarios.metrics._kinds import Counter, Gauge, Label, Metric, Trend
from resilience_cli.scenarios.metrics._namespace import ENDPOINT_PREFIX, INTO_STATE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.measure import RunSummary, RunTally
    from resilience_cli.patterns import Transition
    from resilience_cli.state.breaker import BreakerView


def call_step_metrics(summary: RunSummary, tally: RunTally) -> dict[str, Metric]:
    """The metrics of a step that made calls (invoke, delay, error), in namespace order.

    Args:
        summary: The step's run summary: counts, attempts, peaks, pacing, the breaker.
        tally: The step's tally, for the durations behind the latency Trends.

    Returns:
        Every name of the namespace this step measured; `bulkhead.*` and
        `rate_limiter.waits` only when those patterns were on.
    """
    total = summary.total
    n = total.calls
    fallbacks = dict(summary.fallbacks_by_reason)
    failed_attempts = dict(summary.failed_attempts_by_reason)
    metrics: dict[str, Metric] = {
        "calls": Counter(n, n),
        "outcome.success": Counter(total.succeeded, n),
        "outcome.recovered": Counter(total.recovered, n),
        "outcome.fallback": Counter(total.fallbacks, n),
        "outcome.failed": Counter(total.failed, n),
        "outcome.ok": Counter(total.succeeded + total.recovered, n),
    }
    metrics.update({f"fallback.{r}": Counter(fallbacks.get(r, 0), n) for r in Reason})
    metrics["attempts"] = Gauge(summary.attempts)
    metrics["attempts.per_call"] = Gauge(_per(summary.attempts, n))
    metrics.update({f"attempts.failed.{r}": Gauge(failed_attempts.get(r, 0)) for r in Reason})
    metrics["retries"] = Gauge(total.retries)
    metrics["retries.per_call"] = Gauge(_per(total.retries, n))
    metrics["latency"] = Trend(tally.total().latencies)
    metrics.update(
        {ENDPOINT_PREFIX + label: Trend(row.latencies) for label, row in tally.endpoints.items()}
    )
    metrics["concurrency.peak"] = Gauge(summary.peak_in_flight)
    if summary.bulkhead_peak is not None:
        metrics["bulkhead.peak"] = Gauge(summary.bulkhead_peak)
    if summary.bulkhead_peak_waiting is not None:
        metrics["bulkhead.queued_peak"] = Gauge(summary.bulkhead_peak_waiting)
    if summary.limiter_waits is not None:
        metrics["rate_limiter.waits"] = Gauge(summary.limiter_waits)
    if summary.achieved_rate is not None:  # no time passed: no rate, so no data
        metrics["throughput"] = Gauge(summary.achieved_rate)
    metrics.update(_breaker_metrics(summary.before, summary.after, summary.transitions))
    metrics["elapsed"] = Gauge(summary.elapsed, seconds=True)
    return metrics


def breaker_step_metrics(
    before: BreakerView,
    after: BreakerView,
    transitions: Sequence[Transition],
    elapsed: float,
) -> dict[str, Metric]:
    """The metrics of a step that makes no calls (state, force-open, reset, pause).

    Args:
        before: The breaker when the step began.
        after: The breaker when it ended.
        transitions: The state changes made during the step.
        elapsed: The step's duration, in seconds.

    Returns:
        `breaker.*` and `elapsed`.
    """
    return {**_breaker_metrics(before, after, transitions), "elapsed": Gauge(elapsed, seconds=True)}


def _breaker_metrics(
    before: BreakerView, after: BreakerView, transitions: Sequence[Transition]
) -> dict[str, Metric]:
    metrics: dict[str, Metric] = {
        "breaker.state": Label(after.state.value),
        "breaker.state_before": Label(before.state.value),
        "breaker.fail_count": Gauge(after.fail_count),
        "breaker.transitions": Gauge(len(transitions)),
    }
    for state, name in INTO_STATE.items():
        metrics[name] = Gauge(sum(1 for t in transitions if t.to_state == state))
    return metrics


def _per(amount: int, calls: int) -> float:
    return amount / calls if calls else 0.0

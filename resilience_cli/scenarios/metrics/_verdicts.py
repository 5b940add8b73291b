"""Judging a threshold against what a step measured: the verdict, in the threshold's units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resilience_cli.scenarios.metrics._kinds import (
    Counter,
    Gauge,
    Label,
    Metric,
    Metrics,
    States,
    Trend,
)
from resilience_cli.scenarios.metrics._pairing import pairing_problem
from resilience_cli.scenarios.thresholds import format_number

if TYPE_CHECKING:
    from resilience_cli.measure import Latencies
    from resilience_cli.scenarios.thresholds import Threshold


@dataclass(frozen=True, slots=True)
class Verdict:
    """One threshold judged against one step's metrics.

    `observed` is the aggregated value in the metric's own unit (seconds for durations,
    a fraction for rates), or None when there was no data. A `strict=False` verdict is
    advisory: reports print it, but it never fails the run.
    """

    metric: str
    threshold: Threshold
    observed: float | str | None
    observed_text: str
    passed: bool
    strict: bool
    abort_on_fail: bool

    @property
    def name(self) -> str:
        """The expectation as one line, the metric then the threshold: `latency p(95) < 300ms`."""
        return f"{self.metric} {self.threshold}"

    def expected_text(self) -> str:
        """The operator and the value as written: `< 300ms`."""
        return f"{self.threshold.op} {self.threshold.value_text}"


def evaluate(
    metric_name: str,
    threshold: Threshold,
    metrics: Metrics,
    *,
    strict: bool = True,
    abort_on_fail: bool = False,
) -> Verdict:
    """Judge one threshold against a step's metrics.

    A metric the step did not measure (an endpoint it never called, a bulkhead that is
    off) and a Trend without samples have no data, and the threshold fails.

    Args:
        metric_name: The metric, as written.
        threshold: The parsed threshold.
        metrics: What the step measured (`call_step_metrics`, `breaker_step_metrics`).
        strict: False makes the verdict advisory.
        abort_on_fail: Carried through for the runner: stop the scenario if this fails.

    Returns:
        The verdict, with the observed value and its human form.

    Raises:
        ValueError: The threshold does not fit the metric's kind; `check_pairing` reports
            the same problem before a run, so a loaded scenario never meets this.
    """
    metric = metrics.get(metric_name)
    observed: float | str | None = None
    text = "no data"
    passed = False
    if metric is not None:
        problem = pairing_problem(
            metric_name,
            type(metric),
            threshold,
            seconds=isinstance(metric, Gauge) and metric.seconds,
        )
        if problem is not None:
            raise ValueError(problem)
        if isinstance(metric, States):
            return _states(metric_name, metric, threshold, strict, abort_on_fail)
        observed = _aggregate(metric, threshold)
        if observed is not None and threshold.reference:
            return _against(
                metric_name, metric, threshold, observed, metrics, strict, abort_on_fail
            )
        if observed is not None:
            expected = _expected(metric, threshold)
            passed = _compare(observed, threshold.op, expected)
            text = _observed_text(metric, threshold, observed, expected, passed=passed)
    return Verdict(metric_name, threshold, observed, text, passed, strict, abort_on_fail)


def _against(  # noqa: PLR0913, PLR0917 - the verdict's parts
    name: str,
    metric: Metric,
    threshold: Threshold,
    observed: float | str,
    metrics: Metrics,
    strict: bool,
    abort_on_fail: bool,
) -> Verdict:
    """Judge `value <op> <other metric>`: no data in the other fails it too."""
    other_name = str(threshold.value)
    other = metrics.get(other_name)
    expected = None if other is None else _aggregate(other, threshold)
    if expected is None:
        text = f"no data in {other_name}"
        return Verdict(name, threshold, observed, text, False, strict, abort_on_fail)  # noqa: FBT003 - a field
    passed = _compare(observed, threshold.op, expected)
    scale, suffix = _display_unit(metric, threshold)
    shown = [
        value if isinstance(value, str) else f"{_rounded(value * scale)}{suffix}"
        for value in (observed, expected)
    ]
    text = f"value={shown[0]}, {other_name}={shown[1]}"
    return Verdict(name, threshold, observed, text, passed, strict, abort_on_fail)


def _states(
    name: str, metric: States, threshold: Threshold, strict: bool, abort_on_fail: bool
) -> Verdict:
    """`breaker.state[10s..25s] == open`: it was open at some point; `!=`: never."""
    seen = threshold.value in metric.values
    passed = seen if threshold.op == "==" else not seen
    observed = ", ".join(dict.fromkeys(metric.values))  # each state once, in order
    return Verdict(name, threshold, observed, f"was {observed}", passed, strict, abort_on_fail)


def _aggregate(metric: Metric, threshold: Threshold) -> float | str | None:
    if isinstance(metric, States):  # pragma: no cover - judged by _states
        return None
    if isinstance(metric, Label | Gauge):
        return metric.value
    if isinstance(metric, Counter):
        if threshold.aggregation == "rate":
            return metric.count / metric.total if metric.total else 0.0
        return float(metric.count)
    latencies = metric.latencies
    if threshold.aggregation == "count":
        return float(latencies.count)
    return _duration(latencies, threshold) if latencies.count else None


def _duration(latencies: Latencies, threshold: Threshold) -> float:
    """A Trend's duration aggregation over its durations, of which there are some."""
    if threshold.aggregation == "avg":
        return latencies.mean
    if threshold.aggregation == "min":
        return latencies.min
    if threshold.aggregation == "max":
        return latencies.max
    return latencies.percentile(50.0 if threshold.percentile is None else threshold.percentile)


def _is_duration(metric: Metric, threshold: Threshold) -> bool:
    if isinstance(metric, Trend):
        return threshold.aggregation != "count"
    return isinstance(metric, Gauge) and metric.seconds


def _expected(metric: Metric, threshold: Threshold) -> float | str:
    value = threshold.value
    if isinstance(value, float) and threshold.unit is None and _is_duration(metric, threshold):
        return value / 1000  # k6: a bare number on a Trend is milliseconds
    return value


def _compare(observed: float | str, op: str, expected: float | str) -> bool:  # noqa: PLR0911 - one return per operator
    if op == "==":
        return observed == expected
    if op == "!=":
        return observed != expected
    if isinstance(observed, str) or isinstance(expected, str):
        return False  # words only meet == and != (the parser sees to it)
    if op == "<":
        return observed < expected
    if op == "<=":
        return observed <= expected
    if op == ">":
        return observed > expected
    return observed >= expected


def _observed_text(
    metric: Metric,
    threshold: Threshold,
    observed: float | str,
    expected: float | str,
    *,
    passed: bool,
) -> str:
    """`p(95)=212ms`, `rate=95%`, `value=open`, `count=3`: in the threshold's own unit."""
    name = threshold.aggregation_text
    if isinstance(observed, str) or isinstance(expected, str):
        return f"{name}={observed}"
    scale, suffix = _display_unit(metric, threshold)
    shown_observed, shown_expected = _rounded(observed * scale), _rounded(expected * scale)
    if _compare(float(shown_observed), threshold.op, float(shown_expected)) != passed:
        # Rounding hid the difference (rate 0.6667 vs "== 0.667"): show every digit.
        shown_observed = format_number(observed * scale)
    return f"{name}={shown_observed}{suffix}"


def _display_unit(metric: Metric, threshold: Threshold) -> tuple[float, str]:
    """The factor from the metric's own unit to the one shown, and its suffix."""
    unit = threshold.unit
    if _is_duration(metric, threshold):
        if unit in {None, "ms"}:
            return 1000.0, "ms"
        return 1.0, "s"  # minutes too: "max=90s" reads better than "max=1.5m"
    return (100.0, "%") if unit == "%" else (1.0, "")


def _rounded(number: float) -> str:
    """At most three decimals, trailing zeros dropped: `212`, `0.95`, `66.667`."""
    return format_number(round(number, 3))

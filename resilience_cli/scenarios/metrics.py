"""The metric namespace that scenario expectations name, and how a threshold is judged.

A scenario step's `expect:` maps metric names to thresholds (`latency: ["p(95) < 300ms"]`,
`breaker.state: open`). This module is the one place that says which names exist, what
kind of number each is, which aggregations fit it, and what a step measured. Everything
is a pure function of a step's results, so the runner, the loader's static checks, the
reports and the README's table all read the same definitions.

Metric kinds and their aggregations:

| Kind | Aggregations | Units in thresholds |
|---|---|---|
| Counter | `count`; `rate` (a share); `value` (= count) | `rate`: `%` or none |
| Trend | `count`, `avg`, `min`, `med`, `max`, `p(N)` | `ms`, `s`, `m`; none means ms (k6) |
| Gauge | `value` | durations: `ms`, `s` or `m`, required; others: none |
| Label | `value`, with `==` or `!=` only | a word |

A Counter's `rate` is count / total, a share of the step's calls rather than k6's events
per second (that is `throughput`), and 0 when there were no calls. `p(N)` is the nearest
rank, and `med` is `p(50)`: the same figures as the run summary's p50/p95/p99 columns.
A bare scalar expectation means `value == <scalar>`, so `calls: 20` checks the count.
A Trend with no samples has no data, and its thresholds fail, as in k6.

The namespace (steps: *calls* = `invoke`, `delay`, `error`; *all* = every step kind):

| Metric | Kind | Steps | What it holds |
|---|---|---|---|
| `calls` | Counter | calls | calls made; total = calls |
| `outcome.success` | Counter | calls | calls whose first attempt succeeded; total = calls |
| `outcome.recovered` | Counter | calls | calls that succeeded on a retry |
| `outcome.fallback` | Counter | calls | calls the fallback answered |
| `outcome.failed` | Counter | calls | calls that failed with no fallback configured |
| `outcome.ok` | Counter | calls | `outcome.success` + `outcome.recovered` |
| `fallback.<reason>` | Counter | calls | calls that fell back (or failed) for `<reason>` |
| `attempts` | Gauge | calls | attempts made, first attempts included |
| `attempts.per_call` | Gauge | calls | attempts / calls |
| `attempts.failed.<reason>` | Gauge | calls | failed attempts for `<reason>` |
| `retries` | Gauge | calls | attempts after the first |
| `retries.per_call` | Gauge | calls | retries / calls |
| `latency` | Trend | calls | whole-call durations, retries and fallbacks included |
| `latency.<endpoint>` | Trend | calls | the same for one endpoint, e.g. `latency./get` |
| `concurrency.peak` | Gauge | calls | most calls in flight at once |
| `bulkhead.peak` | Gauge | calls | most calls inside the bulkhead (when it is on) |
| `bulkhead.queued_peak` | Gauge | calls | most calls queued for it (when it is on) |
| `rate_limiter.waits` | Gauge | calls | token requests that had to wait (when the limiter is on) |
| `throughput` | Gauge | calls | calls per second of elapsed time (no data when none passed) |
| `breaker.state` | Label | all | the breaker's state after the step |
| `breaker.state_before` | Label | all | its state before the step |
| `breaker.fail_count` | Gauge | all | consecutive failures after the step |
| `breaker.transitions` | Gauge | all | state changes during the step |
| `breaker.opened` | Gauge | all | changes into `open` during the step |
| `breaker.half_opened` | Gauge | all | changes into `half_open` |
| `breaker.closed` | Gauge | all | changes into `closed` |
| `breaker.forced_open` | Gauge | all | changes into `forced_open` |
| `elapsed` | Gauge, duration | all | the step's duration |

Every `<reason>` is present, zero counts too, so `fallback.rate_limited: ["count == 0"]`
always has data. `<reason>` is one of `timeout`, `deadline_exceeded`, `http_5xx`, `http_429`,
`connect_error`, `breaker_open`, `bulkhead_full`, `rate_limited`, `error`. The breaker
states are `closed`, `open`, `half_open` and `forced_open`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from resilience_cli.patterns import BreakerState, Reason
from resilience_cli.reporting.summary import percentile
from resilience_cli.scenarios.thresholds import format_number

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.patterns import Transition
    from resilience_cli.reporting import RunSummary
    from resilience_cli.run import CallResult
    from resilience_cli.scenarios.thresholds import Threshold
    from resilience_cli.state.breaker import BreakerView


@dataclass(frozen=True, slots=True)
class Counter:
    """Events out of a total: `count` of them, `rate` = count / total (0 when total is 0)."""

    count: int
    total: int


@dataclass(frozen=True, slots=True)
class Trend:
    """Durations in seconds, one per call, in any order."""

    samples: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Gauge:
    """One number. `seconds` marks a duration, whose thresholds must carry a unit."""

    value: float
    seconds: bool = False


@dataclass(frozen=True, slots=True)
class Label:
    """One word, such as a breaker state; compared with == and != only."""

    value: str


Metric: TypeAlias = Counter | Trend | Gauge | Label
Metrics: TypeAlias = Mapping[str, Metric]
MetricKind: TypeAlias = type[Counter] | type[Trend] | type[Gauge] | type[Label]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One row of the namespace table. A family's name has a placeholder: `fallback.<reason>`.

    `call_step` is True for metrics measured only on steps that make calls. `words` lists
    a Label's possible values.
    """

    name: str
    kind: MetricKind
    call_step: bool
    description: str
    seconds: bool = False
    words: tuple[str, ...] = ()


_REASONS: Final = tuple(reason.value for reason in Reason)
_STATES: Final = tuple(state.value for state in BreakerState)
_INTO: Final = {
    BreakerState.OPEN: "breaker.opened",
    BreakerState.HALF_OPEN: "breaker.half_opened",
    BreakerState.CLOSED: "breaker.closed",
    BreakerState.FORCED_OPEN: "breaker.forced_open",
}
_ENDPOINT_PREFIX: Final = "latency."


def _call(name: str, kind: MetricKind, description: str) -> MetricSpec:
    return MetricSpec(name, kind, call_step=True, description=description)


def _any(
    name: str,
    kind: MetricKind,
    description: str,
    *,
    seconds: bool = False,
    words: tuple[str, ...] = (),
) -> MetricSpec:
    return MetricSpec(
        name, kind, call_step=False, description=description, seconds=seconds, words=words
    )


NAMESPACE: Final[tuple[MetricSpec, ...]] = (
    _call("calls", Counter, "calls made; total = calls"),
    _call("outcome.success", Counter, "calls whose first attempt succeeded"),
    _call("outcome.recovered", Counter, "calls that succeeded on a retry"),
    _call("outcome.fallback", Counter, "calls the fallback answered"),
    _call("outcome.failed", Counter, "calls that failed with no fallback configured"),
    _call("outcome.ok", Counter, "outcome.success + outcome.recovered"),
    _call("fallback.<reason>", Counter, "calls that fell back (or failed) for <reason>"),
    _call("attempts", Gauge, "attempts made, first attempts included"),
    _call("attempts.per_call", Gauge, "attempts / calls"),
    _call("attempts.failed.<reason>", Gauge, "failed attempts for <reason>"),
    _call("retries", Gauge, "attempts after the first"),
    _call("retries.per_call", Gauge, "retries / calls"),
    _call("latency", Trend, "whole-call durations, retries and fallbacks included"),
    _call("latency.<endpoint>", Trend, "the same for one endpoint, e.g. latency./get"),
    _call("concurrency.peak", Gauge, "most calls in flight at once"),
    _call("bulkhead.peak", Gauge, "most calls inside the bulkhead (when it is on)"),
    _call("bulkhead.queued_peak", Gauge, "most calls queued for it (when it is on)"),
    _call("rate_limiter.waits", Gauge, "token requests that had to wait (limiter on)"),
    _call("throughput", Gauge, "calls per second"),
    _any("breaker.state", Label, "the breaker's state after the step", words=_STATES),
    _any("breaker.state_before", Label, "its state before the step", words=_STATES),
    _any("breaker.fail_count", Gauge, "consecutive failures after the step"),
    _any("breaker.transitions", Gauge, "state changes during the step"),
    _any("breaker.opened", Gauge, "changes into open during the step"),
    _any("breaker.half_opened", Gauge, "changes into half_open during the step"),
    _any("breaker.closed", Gauge, "changes into closed during the step"),
    _any("breaker.forced_open", Gauge, "changes into forced_open during the step"),
    _any("elapsed", Gauge, "the step's duration", seconds=True),
)


def _expand() -> dict[str, MetricSpec]:
    """Every concrete name: families spelled out for each reason; endpoints stay open."""
    names: dict[str, MetricSpec] = {}
    for spec in NAMESPACE:
        if spec.name.endswith("<reason>"):
            stem = spec.name.removesuffix("<reason>")
            names.update({stem + reason: spec for reason in _REASONS})
        elif not spec.name.endswith("<endpoint>"):
            names[spec.name] = spec
    return names


_BY_NAME: Final = _expand()
_ENDPOINT_SPEC: Final = next(spec for spec in NAMESPACE if spec.name == "latency.<endpoint>")
# Names from other tools and from our own early drafts, and where each went.
_RENAMED: Final = {
    "requests": "calls",
    "outcome.error": "outcome.failed",
    "outcome.timeout": "fallback.timeout",
    "outcome.short_circuited": "fallback.breaker_open",
    "outcome.rate_limited": "fallback.rate_limited",
    "outcome.bulkhead_rejected": "fallback.bulkhead_full",
    "retry.attempts": "attempts",
    "retry.retries": "retries",
    "bulkhead.max_in_flight": "bulkhead.peak",
    "duration": "latency",
    "rps": "throughput",
}


def metric_names(*, call_step: bool) -> tuple[str, ...]:
    """Every concrete metric name a step of this kind measures (`latency.<endpoint>` aside)."""
    return tuple(name for name, spec in _BY_NAME.items() if call_step or not spec.call_step)


def _spec(name: str) -> MetricSpec | None:
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith(_ENDPOINT_PREFIX) and len(name) > len(_ENDPOINT_PREFIX):
        return _ENDPOINT_SPEC
    return None


def known_metric(name: str, *, call_step: bool) -> str | None:
    """Check that a step of this kind measures `name`.

    Args:
        name: The metric name as written in the scenario file.
        call_step: True for steps that make calls (invoke, delay, error); False for
            state, force-open, reset and pause, which measure only `breaker.*` and `elapsed`.

    Returns:
        None when the name is valid here, else a one-line message with a suggestion.
    """
    spec = _spec(name)
    if spec is not None:
        if spec.call_step and not call_step:
            return (
                f"{name!r} is measured only on steps that make calls (invoke, delay, error);"
                " this step measures breaker.* and elapsed"
            )
        return None
    return f"unknown metric {name!r}{_metric_hint(name, call_step=call_step)}"


def _metric_hint(name: str, *, call_step: bool) -> str:
    lowered = name.strip().lower()
    if lowered == _ENDPOINT_PREFIX:
        return "; name an endpoint after it, e.g. 'latency./get'"
    if lowered.startswith("latency") and lowered.removeprefix("latency")[:1] in {"/", "_", "-"}:
        return f"; did you mean 'latency.{lowered.removeprefix('latency').lstrip('_-')}'?"
    renamed = _RENAMED.get(lowered) or _transition_rename(lowered)
    if renamed is None and lowered.startswith("status."):
        return "; status codes are counted by reason: use fallback.http_5xx or fallback.http_429"
    if renamed is None:
        close = difflib.get_close_matches(lowered, metric_names(call_step=call_step), n=1)
        renamed = close[0] if close else None
    if renamed is not None:
        return f"; did you mean {renamed!r}?"
    if not call_step:
        return "; this step measures breaker.* and elapsed"
    return f"; known metrics: {_FAMILIES}"


def _families() -> str:
    """The namespace in a few words: `calls, outcome.*, attempts*, ...`."""
    groups: dict[str, list[str]] = {}
    for spec in NAMESPACE:
        groups.setdefault(spec.name.partition(".")[0], []).append(spec.name)
    return ", ".join(
        names[0] if len(names) == 1 else f"{stem}*" if stem in names else f"{stem}.*"
        for stem, names in groups.items()
    )


_FAMILIES: Final = _families()


def _transition_rename(name: str) -> str | None:
    """`breaker.transition.closed_to_open` (Resilience4j's naming) is `breaker.opened`."""
    if not name.startswith("breaker.transition."):
        return None
    into = name.rpartition("_to_")[2]
    return next((metric for state, metric in _INTO.items() if state.value == into), None)


# -- static pairing -------------------------------------------------------------------


def check_pairing(metric_name: str, threshold: Threshold) -> str | None:
    """Check, before anything runs, that a threshold can apply to a metric.

    Args:
        metric_name: The metric, as written.
        threshold: The parsed threshold.

    Returns:
        None when they fit, else a one-line message: `p(95)` on a Counter, `rate` on a
        Trend, a word on a number, `<` on a Label, a word a Label never takes, ...
        An unknown metric gets `known_metric`'s message.
    """
    spec = _spec(metric_name)
    if spec is None:
        return known_metric(metric_name, call_step=True)
    return _pairing_problem(
        metric_name, spec.kind, threshold, seconds=spec.seconds, words=spec.words
    )


def _pairing_problem(
    name: str,
    kind: MetricKind,
    threshold: Threshold,
    *,
    seconds: bool = False,
    words: tuple[str, ...] = (),
) -> str | None:
    if kind is Label:
        return _label_problem(name, threshold, words)
    if isinstance(threshold.value, str):
        return f"{name!r} is a number, not a word; compare it with a number, e.g. 'value == 0'"
    if kind is Counter:
        return _counter_problem(name, threshold)
    if kind is Trend:
        return _trend_problem(name, threshold)
    return _gauge_problem(name, threshold, seconds=seconds)


def _label_problem(name: str, threshold: Threshold, words: tuple[str, ...]) -> str | None:
    value = threshold.value
    if threshold.aggregation != "value" or not isinstance(value, str):
        states = f" ({', '.join(words)})" if words else ""
        example = f"'value == {words[0] if words else 'word'}'"
        return f"{name!r} is a word{states}, not a number; compare it as {example} or '!='"
    if words and value not in words:
        close = difflib.get_close_matches(value, words, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"it is one of {', '.join(words)}"
        return f"{name!r} is never {value!r}; {hint}"
    return None


def _counter_problem(name: str, threshold: Threshold) -> str | None:
    if threshold.aggregation not in {"count", "rate", "value"}:
        return f"{name!r} is a Counter; use count or rate, not {threshold.aggregation_text}"
    if threshold.aggregation == "value" and threshold.unit is not None:
        return f"{name!r} is a count; drop {threshold.unit!r} (or use 'rate' for a share)"
    return None


def _trend_problem(name: str, threshold: Threshold) -> str | None:
    if threshold.aggregation == "rate":
        return (
            f"{name!r} is a Trend of durations; use avg, min, med, max, p(N) or count"
            " (a share of calls is a rate of 'outcome.ok' or 'fallback.<reason>')"
        )
    if threshold.aggregation == "value":
        return f"{name!r} holds one duration per call; use avg, min, med, max or p(N)"
    return None


def _gauge_problem(name: str, threshold: Threshold, *, seconds: bool) -> str | None:
    unit = threshold.unit
    if threshold.aggregation != "value":
        example = "'value < 2s'" if seconds else "'value <= 3'"
        shown = threshold.aggregation_text
        return f"{name!r} is a single number; use 'value', e.g. {example}, not {shown}"
    if seconds and unit is None:
        return f"{name!r} is a duration; give the value a unit (ms, s or m), e.g. 'value < 2s'"
    if seconds and unit == "%":
        return f"{name!r} is a duration; use ms, s or m, not '%'"
    if not seconds and unit is not None:
        return f"{name!r} is a plain number; drop {unit!r}"
    return None


# -- evaluation -----------------------------------------------------------------------


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
        problem = _pairing_problem(
            metric_name,
            type(metric),
            threshold,
            seconds=isinstance(metric, Gauge) and metric.seconds,
        )
        if problem is not None:
            raise ValueError(problem)
        observed = _aggregate(metric, threshold)
        if observed is not None:
            expected = _expected(metric, threshold)
            passed = _compare(observed, threshold.op, expected)
            text = _observed_text(metric, threshold, observed, expected, passed=passed)
    return Verdict(metric_name, threshold, observed, text, passed, strict, abort_on_fail)


def _aggregate(metric: Metric, threshold: Threshold) -> float | str | None:
    if isinstance(metric, Label | Gauge):
        return metric.value
    if isinstance(metric, Counter):
        if threshold.aggregation == "rate":
            return metric.count / metric.total if metric.total else 0.0
        return float(metric.count)
    if threshold.aggregation == "count":
        return float(len(metric.samples))
    return _duration(sorted(metric.samples), threshold) if metric.samples else None


def _duration(ordered: Sequence[float], threshold: Threshold) -> float:
    """A Trend's duration aggregation over its sorted, non-empty samples."""
    if threshold.aggregation == "avg":
        return math.fsum(ordered) / len(ordered)
    if threshold.aggregation == "min":
        return ordered[0]
    if threshold.aggregation == "max":
        return ordered[-1]
    return percentile(ordered, 50.0 if threshold.percentile is None else threshold.percentile)


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


# -- what a step measured ----------------------------------------------------------------


def call_step_metrics(summary: RunSummary, calls: Sequence[CallResult]) -> dict[str, Metric]:
    """The metrics of a step that made calls (invoke, delay, error), in namespace order.

    Args:
        summary: The step's run summary: counts, attempts, peaks, pacing, the breaker.
        calls: The step's calls, for the durations behind the latency Trends.

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
    metrics["latency"] = Trend(tuple(call.outcome.duration for call in calls))
    by_endpoint: dict[str, list[float]] = {}
    for call in calls:
        by_endpoint.setdefault(call.endpoint.label, []).append(call.outcome.duration)
    metrics.update({_ENDPOINT_PREFIX + label: Trend(tuple(d)) for label, d in by_endpoint.items()})
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
    for state, name in _INTO.items():
        metrics[name] = Gauge(sum(1 for t in transitions if t.to_state == state))
    return metrics


def _per(amount: int, calls: int) -> float:
    return amount / calls if calls else 0.0

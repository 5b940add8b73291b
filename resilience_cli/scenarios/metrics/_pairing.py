"""Which thresholds fit which metrics: checked before a run, and again when judging."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from resilience_cli.scenarios.metrics._kinds import Counter, Label, MetricKind, States, Trend
from resilience_cli.scenarios.metrics._namespace import known_metric, spec_of

if TYPE_CHECKING:
    from resilience_cli.scenarios.thresholds import Threshold


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
    spec = spec_of(metric_name)
    if spec is None:
        return known_metric(metric_name, call_step=True)
    if threshold.reference:
        other = spec_of(str(threshold.value))
        if other is None:
            return f"{threshold.value!r} is not a metric this step can compare with"
        if (other.kind, other.seconds) != (spec.kind, spec.seconds):
            return f"{metric_name!r} and {threshold.value!r} are not the same kind of number"
    return pairing_problem(
        metric_name, spec.kind, threshold, seconds=spec.seconds, words=spec.words
    )


def pairing_problem(  # noqa: PLR0911 - one return per kind
    name: str,
    kind: MetricKind,
    threshold: Threshold,
    *,
    seconds: bool = False,
    words: tuple[str, ...] = (),
) -> str | None:
    if threshold.reference:
        if kind in {Label, States, Trend}:
            return f"{name!r} cannot be compared with another metric; only numbers can"
        return None
    if kind in {Label, States}:
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

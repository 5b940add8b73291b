"""The names expectations may use: what kind each is, which steps measure it, and hints."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Final

from resilience_cli.patterns import BreakerState, Reason
from resilience_cli.scenarios.metrics._kinds import (
    Counter,
    Gauge,
    Label,
    MetricKind,
    States,
    Trend,
)
from resilience_cli.scenarios.metrics._windows import WINDOWED, split_window


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One row of the namespace table. A family's name has a placeholder: `fallback.<reason>`.

    `call_step` is True for metrics measured only on steps that make calls, `stress_step`
    for those measured only on stress steps. `words` lists a Label's possible values.
    """

    name: str
    kind: MetricKind
    call_step: bool
    description: str
    seconds: bool = False
    words: tuple[str, ...] = ()
    stress_step: bool = False


_REASONS: Final = tuple(reason.value for reason in Reason)
_STATES: Final = tuple(state.value for state in BreakerState)
# The metric that counts a step's changes into each state.
INTO_STATE: Final = {
    BreakerState.OPEN: "breaker.opened",
    BreakerState.HALF_OPEN: "breaker.half_opened",
    BreakerState.CLOSED: "breaker.closed",
    BreakerState.FORCED_OPEN: "breaker.forced_open",
}
ENDPOINT_PREFIX: Final = "latency."


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


def _stress(name: str, kind: MetricKind, description: str) -> MetricSpec:
    return MetricSpec(name, kind, call_step=True, description=description, stress_step=True)


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
    _stress("arrivals", Counter, "arrivals scheduled; total = arrivals"),
    _stress("dropped", Counter, "arrivals dropped at max_in_flight; total = arrivals"),
    _stress("lateness", Trend, "how late each arrival was launched"),
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


def metric_names(*, call_step: bool, stress_step: bool = False) -> tuple[str, ...]:
    """Every concrete metric name a step of this kind measures (endpoints, windows aside)."""
    return tuple(
        name
        for name, spec in _BY_NAME.items()
        if (call_step or not spec.call_step) and (stress_step or not spec.stress_step)
    )


def spec_of(name: str) -> MetricSpec | None:
    if name.endswith("]") and "[" in name:
        return _windowed_spec(name)
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith("preset."):
        from resilience_cli.scenarios.metrics._presets import preset_spec  # noqa: PLC0415 - it imports this module

        return preset_spec(name)
    if name.startswith(ENDPOINT_PREFIX) and len(name) > len(ENDPOINT_PREFIX):
        return _ENDPOINT_SPEC
    return None


def _windowed_spec(name: str) -> MetricSpec | None:
    """The spec of `metric[window]`: its metric's, but `breaker.state` takes States."""
    try:
        base, _ = split_window(name)
    except ValueError:
        return None
    spec = _BY_NAME.get(base)
    if base not in WINDOWED or spec is None:
        return None
    kind = States if spec.kind is Label else spec.kind
    return MetricSpec(
        name,
        kind,
        call_step=True,
        description=spec.description,
        words=spec.words,
        stress_step=True,
    )


def _window_problem(name: str, *, stress_step: bool) -> str | None:
    if not stress_step:
        return f"{name!r}: a window [...] is for stress steps only"
    try:
        base, _ = split_window(name)
    except ValueError as exc:
        return f"{name!r}: {exc}"
    if base not in WINDOWED:
        return (
            f"{base!r} has no window; these do: arrivals, dropped, calls, outcome.*,"
            " fallback.<reason>, latency, breaker.state, breaker.transitions,"
            " breaker.opened, .half_opened, .closed, .forced_open"
        )
    return None


def known_metric(
    name: str, *, call_step: bool, compare_step: bool = False, stress_step: bool = False
) -> str | None:
    """Check that a step of this kind measures `name`.

    Args:
        name: The metric name as written in the scenario file.
        call_step: True for steps that make calls (invoke, delay, error, stress); False
            for state, force-open, reset and pause, which measure only `breaker.*` and
            `elapsed`.
        compare_step: True for `compare`, which measures `preset.<name>.<field>` and
            `elapsed`, and only those.
        stress_step: True for `stress`, which also measures `arrivals`, `dropped`,
            `lateness`, and metrics over a window (`breaker.state[10s..25s]`).

    Returns:
        None when the name is valid here, else a one-line message with a suggestion.
    """
    if name.startswith("preset.") or compare_step:
        return _compare_metric_problem(name, compare_step=compare_step)
    if name.endswith("]") and "[" in name:
        return _window_problem(name, stress_step=stress_step)
    spec = spec_of(name)
    if spec is not None and spec.stress_step and not stress_step:
        return f"{name!r} is measured only on stress steps"
    if spec is not None:
        if spec.call_step and not call_step:
            return (
                f"{name!r} is measured only on steps that make calls (invoke, delay, error);"
                " this step measures breaker.* and elapsed"
            )
        return None
    return f"unknown metric {name!r}{_metric_hint(name, call_step=call_step)}"


def _compare_metric_problem(name: str, *, compare_step: bool) -> str | None:
    if name == "elapsed":
        return None
    if not name.startswith("preset."):
        return f"a compare step measures preset.<name>.<field> and elapsed, not {name!r}"
    if not compare_step:
        return f"{name!r} is measured only on compare steps"
    if spec_of(name) is not None:
        return None
    from resilience_cli.scenarios.metrics._presets import preset_problem  # noqa: PLC0415 - it imports this module

    return preset_problem(name)


def _metric_hint(name: str, *, call_step: bool) -> str:
    lowered = name.strip().lower()
    if lowered == ENDPOINT_PREFIX:
        return "; name an endpoint after it, e.g. 'latency./get'"
    if lowered.startswith("latency") and lowered.removeprefix("latency")[:1] in {"/", "_", "-"}:
        return f"; did you mean 'latency.{lowered.removeprefix('latency').lstrip('_-')}'?"
    renamed = _RENAMED.get(lowered) or _transition_rename(lowered)
    if renamed is None and lowered.startswith("status."):
        return "; status codes are counted by reason: use fallback.http_5xx or fallback.http_429"
    if renamed is None:
        names = metric_names(call_step=call_step, stress_step=True)
        close = difflib.get_close_matches(lowered, names, n=1)
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
    return next((metric for state, metric in INTO_STATE.items() if state.value == into), None)

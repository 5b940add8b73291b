"""What a `compare` step measures: `preset.<name>.<field>` for each preset it replayed.

| Field | Kind | What it holds |
|---|---|---|
| `let_through` | Gauge | requests let through to the failing upstream |
| `sent` | Gauge | requests sent to the upstream |
| `fallbacks` | Gauge | calls served by the fallback |
| `retries`, `wasted_retries` | Gauge | retries sent; those that failed |
| `opened` | Gauge | times the breaker opened |
| `time_to_open`, `time_to_close` | Gauge, duration | first failure to OPEN; healing to CLOSED |
| `p50`, `p99` | Gauge, duration | latency from arrival to outcome |
| `final_state` | Label | the breaker's state at the end of the replay |

A time that never came (it never opened) is no data, and its thresholds fail. Two
numbers compare with `value <op> <other metric>`:
`preset.pybreaker.let_through: value < preset.resilience4j.let_through`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from resilience_cli.compare import PRESETS, state_at
from resilience_cli.patterns import BreakerState
from resilience_cli.scenarios.metrics._kinds import Gauge, Label, Metric, MetricKind
from resilience_cli.scenarios.metrics._namespace import MetricSpec

if TYPE_CHECKING:
    from resilience_cli.compare import Comparison

PRESET_PREFIX: Final = "preset."


def _field(
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


_STATES: Final = tuple(state.value for state in BreakerState)
FIELDS: Final = {
    "let_through": _field("let_through", Gauge, "requests let through to the failing upstream"),
    "sent": _field("sent", Gauge, "requests sent to the upstream"),
    "fallbacks": _field("fallbacks", Gauge, "calls served by the fallback"),
    "retries": _field("retries", Gauge, "retries sent"),
    "wasted_retries": _field("wasted_retries", Gauge, "retries that failed"),
    "opened": _field("opened", Gauge, "times the breaker opened"),
    "time_to_open": _field("time_to_open", Gauge, "from the first failure to OPEN", seconds=True),
    "time_to_close": _field("time_to_close", Gauge, "from healing to CLOSED", seconds=True),
    "p50": _field("p50", Gauge, "median latency", seconds=True),
    "p99": _field("p99", Gauge, "99th percentile latency", seconds=True),
    "final_state": _field("final_state", Label, "the breaker's state at the end", words=_STATES),
}


def preset_spec(name: str) -> MetricSpec | None:
    """The spec of `preset.<preset>.<field>`, or None for any other name."""
    if not name.startswith(PRESET_PREFIX):
        return None
    preset, _, field = name.removeprefix(PRESET_PREFIX).partition(".")
    return FIELDS.get(field) if preset in PRESETS else None


def preset_problem(name: str) -> str:
    """Why a `preset.` name is unknown, in one line."""
    preset, _, field = name.removeprefix(PRESET_PREFIX).partition(".")
    if preset not in PRESETS:
        return f"unknown preset {preset!r} in {name!r}; presets: {', '.join(PRESETS)}"
    return f"unknown field {field!r} in {name!r}; fields: {', '.join(FIELDS)}"


def compare_step_metrics(comparison: Comparison, elapsed: float) -> dict[str, Metric]:
    """Every metric a compare step measured: each preset's fields, and `elapsed`."""
    metrics: dict[str, Metric] = {"elapsed": Gauge(elapsed, seconds=True)}
    for result in comparison.results:
        replayed = result.replayed
        values: dict[str, float | None] = {
            "let_through": replayed.let_through,
            "sent": replayed.sent,
            "fallbacks": replayed.fallbacks,
            "retries": replayed.retries,
            "wasted_retries": replayed.wasted_retries,
            "opened": sum(state is BreakerState.OPEN for _, state in replayed.transitions),
            "time_to_open": result.time_to_open,
            "time_to_close": result.time_to_close,
            "p50": replayed.p50,
            "p99": replayed.p99,
        }
        stem = f"{PRESET_PREFIX}{result.name}."
        for field, value in values.items():
            if value is not None:  # never happened: no data, and its thresholds fail
                metrics[stem + field] = Gauge(float(value), seconds=FIELDS[field].seconds)
        final = state_at(replayed.transitions, float("inf"))
        metrics[stem + "final_state"] = Label(final.value)
    return metrics

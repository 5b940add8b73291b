"""`resilience compare` as a table, a timeline per preset, and a JSON document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from resilience_cli import palette
from resilience_cli.patterns import BreakerState
from resilience_cli.reporting.text import STATE_STYLES, milliseconds, plain

if TYPE_CHECKING:
    from collections.abc import Callable

    from resilience_cli.compare import Comparison, PresetResult

COMPARE_SCHEMA: Final = "resilience-cli/compare"
COMPARE_VERSION: Final = 1
TIMELINE_COLUMNS: Final = 60
# One ASCII character per state, so that the timeline reads alike on any console and font.
TIMELINE_MARKS: Final = {
    BreakerState.CLOSED: ".",
    BreakerState.HALF_OPEN: "~",
    BreakerState.OPEN: "#",
    BreakerState.FORCED_OPEN: "X",
}
_SEVERITY: Final = {
    BreakerState.CLOSED: 0,
    BreakerState.HALF_OPEN: 1,
    BreakerState.OPEN: 2,
    BreakerState.FORCED_OPEN: 3,
}


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else milliseconds(value * 1000)


_ROWS: Final[tuple[tuple[str, Callable[[PresetResult], str]], ...]] = (
    ("let through to the failing upstream", lambda r: str(r.replayed.let_through)),
    ("sent to the upstream", lambda r: str(r.replayed.sent)),
    ("served by the fallback", lambda r: str(r.replayed.fallbacks)),
    ("s to OPEN after it started failing", lambda r: _seconds(r.time_to_open)),
    ("s to CLOSED after it healed", lambda r: _seconds(r.time_to_close)),
    ("wasted retries (retries that failed)", lambda r: str(r.replayed.wasted_retries)),
    ("p50 latency, ms", lambda r: _ms(r.replayed.p50)),
    ("p99 latency, ms", lambda r: _ms(r.replayed.p99)),
)


def timeline(
    transitions: tuple[tuple[float, BreakerState], ...],
    duration: float,
    columns: int = TIMELINE_COLUMNS,
) -> tuple[BreakerState, ...]:
    """The breaker's state in each of `columns` equal slices of `duration`.

    A slice shows the most severe state the breaker was in during it (open over
    half-open over closed), so that a short open spell is never hidden by its neighbours.
    """
    width = duration / columns if duration > 0 else 0.0
    states: list[BreakerState] = []
    current = BreakerState.CLOSED
    index = 0
    for column in range(columns):
        end = (column + 1) * width if column < columns - 1 else float("inf")
        worst = current
        while index < len(transitions) and transitions[index][0] < end:
            current = transitions[index][1]
            if _SEVERITY[current] > _SEVERITY[worst]:
                worst = current
            index += 1
        states.append(worst)
    return tuple(states)


def _table(comparison: Comparison) -> Table:
    table = Table(
        title="Presets replayed against the same trace",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("", no_wrap=True)
    for result in comparison.results:
        # A sweep's variant on two lines, `ours` over `[failure_threshold=3]`, to stay narrow.
        table.add_column(plain(result.name.replace("[", "\n[", 1)), justify="right")
    for label, value in _ROWS:
        table.add_row(label, *(value(result) for result in comparison.results))
    return table


def _timelines(comparison: Comparison) -> Group:
    width = max((len(result.name) for result in comparison.results), default=0)
    mark = comparison.duration / TIMELINE_COLUMNS
    lines = [
        Text(
            f"Breaker state over {comparison.duration:.0f} s"
            f" (. closed  ~ half-open  # open; one mark = {mark:.1f} s)",
            style=palette.STRONG,
        )
    ]
    for result in comparison.results:
        line = Text(f"{result.name:<{width}}  ")
        for state in timeline(result.replayed.transitions, comparison.duration):
            line.append(TIMELINE_MARKS[state], style=STATE_STYLES[state])
        lines.append(line)
    lines.append(Text(f"{'':<{width}}  {_axis(comparison)}"))
    return Group(*lines)


def _axis(comparison: Comparison) -> str:
    """`^` under the slices where the upstream started failing (F) and healed (H)."""
    marks = [" "] * TIMELINE_COLUMNS
    duration = comparison.duration
    for at, mark in ((comparison.failing_since, "F"), (comparison.healed_at, "H")):
        if at is not None and duration > 0:
            marks[min(TIMELINE_COLUMNS - 1, int(at / duration * TIMELINE_COLUMNS))] = mark
    return "".join(marks).rstrip()


def _heading(comparison: Comparison) -> Text:
    failing = comparison.failing_since
    healed = comparison.healed_at
    said = (
        "the upstream never failed"
        if failing is None
        else f"failing from {failing:.2f} s (F), "
        + ("never healed" if healed is None else f"healed at {healed:.2f} s (H)")
    )
    truncated = "; the trace was cut at its bound" if comparison.truncated else ""
    return Text(
        f"Trace of {comparison.calls} calls ({comparison.answers} upstream answers) over"
        f" {comparison.trace_duration:.2f} s: {said}; seed {comparison.seed}{truncated}"
    )


def render_comparison(comparison: Comparison) -> Group:
    """The heading, the side-by-side table, and one timeline row per preset."""
    return Group(_heading(comparison), _table(comparison), _timelines(comparison))


def comparison_document(comparison: Comparison) -> dict[str, object]:
    """The versioned JSON document of `compare --json`."""
    return {
        "schema": COMPARE_SCHEMA,
        "version": COMPARE_VERSION,
        "trace": {
            "source": comparison.source,
            "calls": comparison.calls,
            "answers": comparison.answers,
            "duration_s": round(comparison.trace_duration, 6),
            "failing_since_s": comparison.failing_since,
            "healed_at_s": comparison.healed_at,
            "truncated": comparison.truncated,
        },
        "seed": comparison.seed,
        # Replays can run past the trace (a preset's longer timeout): the timelines' span.
        "timeline_s": round(comparison.duration, 6),
        "presets": {result.name: preset_numbers(result) for result in comparison.results},
    }


def preset_numbers(result: PresetResult) -> dict[str, object]:
    """One preset's numbers, as `--json` and scenario expectations read them."""
    replayed = result.replayed
    return {
        "source": result.source,
        "calls": replayed.calls,
        "let_through": replayed.let_through,
        "sent": replayed.sent,
        "fallbacks": replayed.fallbacks,
        "retries": replayed.retries,
        "wasted_retries": replayed.wasted_retries,
        "time_to_open_s": _rounded(result.time_to_open),
        "time_to_close_s": _rounded(result.time_to_close),
        "p50_ms": _rounded(None if replayed.p50 is None else replayed.p50 * 1000),
        "p99_ms": _rounded(None if replayed.p99 is None else replayed.p99 * 1000),
        "transitions": [
            {"at_s": round(at, 6), "to": state.value} for at, state in replayed.transitions
        ],
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)

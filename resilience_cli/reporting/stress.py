"""A stress run in words: the progress line, the timeline, the series table, the JSON.

Pure functions of what `measure.series` holds (rows, moments, spans) and of a live view
(`StressView`, which `stress.run.LiveView` is): nothing here runs, prints or judges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from rich.table import Table
from rich.text import Text

from resilience_cli import palette
from resilience_cli.patterns import BreakerState
from resilience_cli.reporting.text import STATE_STYLES, milliseconds, plain, state_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.glyphs import Glyphs
    from resilience_cli.measure import Latencies, RunTally
    from resilience_cli.measure.series import Gauges, IntervalRow, Moment, SpanTally

STATE_LETTERS: Final = {
    BreakerState.CLOSED: "C",
    BreakerState.OPEN: "O",
    BreakerState.HALF_OPEN: "H",
    BreakerState.FORCED_OPEN: "F",
}
LEGEND: Final = "C closed  O open  H half-open  F forced open  . no breaker"
_SHORT: Final = {
    "breaker_open": "breaker",
    "bulkhead_full": "bulkhead",
    "rate_limited": "limiter",
    "deadline_exceeded": "deadline",
    "connect_error": "connect",
}


class StressView(Protocol):
    """What the live reports read of a running stress (`stress.run.LiveView` is one)."""

    @property
    def elapsed(self) -> float: ...  # noqa: D102 - seconds since the first arrival
    @property
    def duration(self) -> float: ...  # noqa: D102 - seconds the arrivals last
    @property
    def interval(self) -> float: ...  # noqa: D102 - seconds per row
    @property
    def target_rate(self) -> float: ...  # noqa: D102 - arrivals per second asked now
    @property
    def arrivals(self) -> int: ...  # noqa: D102
    @property
    def dropped(self) -> int: ...  # noqa: D102
    @property
    def in_flight(self) -> int: ...  # noqa: D102
    @property
    def max_in_flight(self) -> int: ...  # noqa: D102
    @property
    def gauges(self) -> Gauges: ...  # noqa: D102 - the patterns now
    @property
    def current(self) -> SpanTally: ...  # noqa: D102 - the interval still open
    @property
    def rows(self) -> Sequence[IntervalRow]: ...  # noqa: D102 - the intervals closed
    @property
    def moments(self) -> Sequence[Moment]: ...  # noqa: D102 - the transitions, timed
    @property
    def tally(self) -> RunTally: ...  # noqa: D102 - the whole run so far


def seconds_text(seconds: float) -> str:
    """`12.0 s`, `1m 05 s` past a minute: the run's own time."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m {rest:02d} s"


def reasons_text(by_reason: Sequence[tuple[object, int]]) -> str:
    """`breaker 40, http_5xx 3`: fallbacks by reason, short names, largest first."""
    ordered = sorted(by_reason, key=lambda item: -item[1])
    return ", ".join(f"{_SHORT.get(str(reason), str(reason))} {count}" for reason, count in ordered)


def rate_of(row: IntervalRow) -> float:
    """Arrivals per second over a row."""
    length = row.end - row.start
    return row.arrivals / length if length > 0 else 0.0


def gauges_text(gauges: Gauges) -> str:
    """`bulkhead 2/5, 0 queued  tokens 3.2`, for what is on."""
    parts = []
    if gauges.bulkhead_in_use is not None:
        parts.append(f"bulkhead {gauges.bulkhead_in_use} in use, {gauges.bulkhead_queued} queued")
    if gauges.tokens is not None:
        parts.append(f"tokens {max(gauges.tokens, 0.0):.1f}")
    return "  ".join(parts)


def progress_line(row: IntervalRow, view: StressView) -> str:
    """One plain line per interval, for a log or a pipe (k6's way)."""
    fallbacks = row.fallbacks + row.failed
    why = f" ({reasons_text(row.by_reason)})" if fallbacks else ""
    state = "-" if row.gauges.breaker is None else row.gauges.breaker.value.upper()
    parts = [
        f"stress {seconds_text(row.end)}/{seconds_text(view.duration)}",
        f"arrivals {rate_of(row):,.1f}/s (target {row.target_rate:,.4g}/s)",
        f"ok {row.succeeded}",
        f"recovered {row.recovered}",
        f"fallback {fallbacks}{why}",
        f"dropped {row.dropped}",
        f"in flight {row.gauges.in_flight}",
        f"p50 {milliseconds(row.p50 * 1000)} ms",
        f"p99 {milliseconds(row.p99 * 1000)} ms",
        f"breaker {state}",
    ]
    gauges = gauges_text(row.gauges)
    if gauges:
        parts.append(gauges)
    return "  ".join(parts)


def timeline(rows: Sequence[IntervalRow], width: int) -> Text:
    """One cell per interval, the breaker's state at its end, in its colour: the last `width`.

    Letters, so that it reads without colour too: `CCCCOOOOHCC`.
    """
    shown = rows[-width:] if width > 0 else rows[:0]
    cells = Text()
    for row in shown:
        state = row.gauges.breaker
        if state is None:
            cells.append(".")
        else:
            cells.append(STATE_LETTERS[state], style=STATE_STYLES[state])
    return cells


def timeline_lines(rows: Sequence[IntervalRow], width: int) -> list[Text]:
    """The whole run's timeline, `width` cells a line, each line led by its start time."""
    lines = []
    for first in range(0, len(rows), max(1, width)):
        part = rows[first : first + width]
        label = f"{seconds_text(part[0].start):>9}  "
        lines.append(Text.assemble(label, timeline(part, width)))
    return lines


def moments_table(moments: Sequence[Moment], glyphs: Glyphs, *, last: int | None = None) -> Table:
    """Each transition: when (seconds into the run), from → to, and why in numbers."""
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column()
    for moment in moments if last is None else moments[-last:]:
        transition = moment.transition
        table.add_row(
            seconds_text(moment.at),
            Text.assemble(
                state_text(transition.from_state),
                f" {glyphs.arrow} ",
                state_text(transition.to_state),
            ),
            plain(transition.reason),
        )
    return table


def series_table(rows: Sequence[IntervalRow], *, title: str = "", brief: bool = False) -> Table:
    """One line per interval: arrivals, what became of the calls, latency, the patterns.

    `brief` (the dashboard, 100 columns) counts the fallbacks without their reasons, which
    its `calls` line gives for the whole run: with them, the columns were cut to `arriva…`.
    """
    table = Table(title=title or None, title_justify="left", box=None, pad_edge=False)
    for column in ("t", "arrivals", "done", "ok", "rec", "fallback", "drop", "p50", "p99"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("breaker", no_wrap=True)
    table.add_column("bulkhead", justify="right", no_wrap=True)
    table.add_column("tokens", justify="right", no_wrap=True)
    for row in rows:
        gauges = row.gauges
        fallbacks = row.fallbacks + row.failed
        table.add_row(
            _at(row.end),
            str(row.arrivals),
            str(row.completions),
            Text(str(row.succeeded), palette.GOOD if row.succeeded else ""),
            Text(str(row.recovered), palette.RECOVERED if row.recovered else ""),
            Text(
                f"{fallbacks} {reasons_text(row.by_reason)}".strip()
                if fallbacks and not brief
                else str(fallbacks),
                palette.CAUTION if fallbacks else "",
            ),
            Text(str(row.dropped), palette.BAD if row.dropped else ""),
            milliseconds(row.p50 * 1000),
            milliseconds(row.p99 * 1000),
            "-" if gauges.breaker is None else state_text(gauges.breaker),
            "-"
            if gauges.bulkhead_in_use is None
            else f"{gauges.bulkhead_in_use}+{gauges.bulkhead_queued}q",
            "-" if gauges.tokens is None else f"{max(gauges.tokens, 0.0):.1f}",
        )
    return table


def _at(seconds: float) -> str:
    """`19`, `22.7`: an interval's end, to a tenth of a second (a last, cut interval)."""
    return f"{seconds:.1f}".removesuffix(".0")


def _milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _latency(latencies: Latencies) -> dict[str, float]:
    return {
        "p50": _milliseconds(latencies.percentile(50)),
        "p99": _milliseconds(latencies.percentile(99)),
        "max": _milliseconds(latencies.max),
    }


def row_document(row: IntervalRow) -> dict[str, object]:
    """One interval in `--json`."""
    gauges = row.gauges
    return {
        "start_s": round(row.start, 6),
        "end_s": round(row.end, 6),
        "target_rate": round(row.target_rate, 6),
        "arrivals": row.arrivals,
        "completions": row.completions,
        "ok": row.succeeded,
        "recovered": row.recovered,
        "fallbacks": {reason.value: count for reason, count in row.by_reason},
        "dropped": row.dropped,
        "latency_ms": {
            "p50": _milliseconds(row.p50),
            "p95": _milliseconds(row.p95),
            "p99": _milliseconds(row.p99),
        },
        "breaker": None if gauges.breaker is None else gauges.breaker.value,
        "breaker_states": [state.value for state in row.states],
        "in_flight": gauges.in_flight,
        "bulkhead": None
        if gauges.bulkhead_in_use is None
        else {"in_use": gauges.bulkhead_in_use, "queued": gauges.bulkhead_queued},
        "limiter_tokens": None if gauges.tokens is None else round(gauges.tokens, 3),
    }


def stress_document(  # noqa: PLR0913 - the parts of a stress run the document holds
    *,
    rows: Sequence[IntervalRow],
    moments: Sequence[Moment],
    transition_count: int,
    arrivals: int,
    dropped: int,
    lateness: Latencies,
    duration: float,
    interval: float,
    max_in_flight: int,
    phases: str,
    planned_rate: float,
    achieved_rate: float | None,
) -> dict[str, object]:
    """The `stress` part of `resilience stress --json`: the schedule, the drops, the series.

    `achieved_rate` is the arrivals over the span their launches took (`StressResult`).
    """
    return {
        "duration_s": round(duration, 6),
        "interval_s": interval,
        "target_rate": round(planned_rate, 6),
        "achieved_rate": None if achieved_rate is None else round(achieved_rate, 3),
        "arrivals": arrivals,
        "dropped": dropped,
        "max_in_flight": max_in_flight,
        "lateness_ms": _latency(lateness),
        "phases": phases,
        "transitions": [
            {
                "at_s": round(moment.at, 6),
                "from": moment.transition.from_state.value,
                "to": moment.transition.to_state.value,
                "reason": moment.transition.reason,
            }
            for moment in moments
        ],
        "transitions_total": transition_count,
        "series": [row_document(row) for row in rows],
    }

"""The end of a stress run, after the usual summary: the load, the timeline, the series."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from rich.console import Group
from rich.table import Table
from rich.text import Text

from resilience_cli import palette
from resilience_cli.glyphs import UNICODE, Glyphs
from resilience_cli.reporting.stress import (
    LEGEND,
    moments_table,
    seconds_text,
    series_table,
    timeline_lines,
)
from resilience_cli.reporting.text import milliseconds, plain
from resilience_cli.view import View

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType

    from resilience_cli.measure import Latencies
    from resilience_cli.measure.series import IntervalRow, Moment

TIMELINE_WIDTH: Final = 60
COMPACT_TRANSITIONS: Final = 3


class FinishedStress(Protocol):
    """What the end-of-run report reads of a stress run (`stress.run.StressResult` is one)."""

    @property
    def rows(self) -> Sequence[IntervalRow]: ...  # noqa: D102
    @property
    def moments(self) -> Sequence[Moment]: ...  # noqa: D102
    @property
    def transition_count(self) -> int: ...  # noqa: D102
    @property
    def arrivals(self) -> int: ...  # noqa: D102
    @property
    def dropped(self) -> int: ...  # noqa: D102
    @property
    def lateness(self) -> Latencies: ...  # noqa: D102
    @property
    def duration(self) -> float: ...  # noqa: D102
    @property
    def interval(self) -> float: ...  # noqa: D102
    @property
    def planned_rate(self) -> float: ...  # noqa: D102
    @property
    def achieved_rate(self) -> float | None: ...  # noqa: D102
    @property
    def launch_span(self) -> float: ...  # noqa: D102


def render_stress(
    result: FinishedStress, *, phases: str = "", glyphs: Glyphs = UNICODE, view: View = View.FULL
) -> RenderableType:
    """The load and what it met over time; the full view adds one line per interval."""
    load = Table.grid(padding=(0, 2))
    load.add_column(no_wrap=True)
    load.add_column()
    achieved = result.achieved_rate or 0.0
    # Over the span the launches took: the schedule's, stretched by a late last launch.
    span = result.launch_span or result.duration
    load.add_row(
        "arrivals",
        f"{result.arrivals:,} in {seconds_text(span)}: {achieved:,.1f}/s"
        f" (asked {result.planned_rate:,.4g}/s)",
    )
    load.add_row(
        "dropped",
        Text(f"{result.dropped:,}", palette.BAD if result.dropped else "")
        + " (arrivals that found --max-in-flight calls in flight)",
    )
    lateness = result.lateness
    load.add_row(
        "launch lateness",
        f"p50 {milliseconds(lateness.percentile(50) * 1000)} ms  p99"
        f" {milliseconds(lateness.percentile(99) * 1000)} ms  max"
        f" {milliseconds(lateness.max * 1000)} ms (latency counts from the scheduled arrival)",
    )
    if phases:
        load.add_row("fault phases", plain(phases))
    parts: list[RenderableType] = [Text("Stress over time", style=palette.STRONG), load]
    if result.rows:
        parts.append(Text(f"breaker timeline, a cell per {result.interval:g} s ({LEGEND})"))
        parts += timeline_lines(result.rows, TIMELINE_WIDTH)
    if result.moments:
        shown = COMPACT_TRANSITIONS if view is View.COMPACT else None
        earlier = result.transition_count - (
            len(result.moments) if shown is None else min(shown, len(result.moments))
        )
        more = f"; {earlier} earlier not shown" if earlier > 0 else ""
        parts.append(Text(f"transitions, seconds into the run{more}", style=palette.STRONG))
        parts.append(moments_table(result.moments, glyphs, last=shown))
    if view is View.FULL and result.rows:
        parts.append(series_table(result.rows, title=f"Every {result.interval:g} s"))
    return Group(*parts)

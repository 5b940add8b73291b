"""The live dashboard of a stress run: one screen a class can read from the back row.

Made to fit 100 columns and 30 rows (a projector's terminal, a tmux pane):

    resilience stress  12.0 s of 45.0 s   fault now: status=500@0.6
    rate      50.0/s achieved, target 50/s   arrivals 600   dropped 0   in flight 3 of 500
    calls     ok 480   recovered 12   fallback 108 (breaker 100, http_5xx 8)
    latency   last 1 s: p50 2.1 ms  p99 12 ms   whole run: p50 1.9 ms  p99 15 ms
    patterns  bulkhead 2 in use, 0 queued  tokens 3.2
    breaker   OPEN   (2 transitions)
    timeline  CCCCCCCCCCOO
              C closed  O open  H half-open  F forced open  . no breaker
    transitions (seconds into the run)
       10.2 s  CLOSED → OPEN   failure rate 55% >= 50% over 20 calls, minimum 10 met, so OPEN
    last intervals
       t arrivals done  ok rec fallback ...

Every coloured thing also says what it is in letters, so it reads under `NO_COLOR`.
Pure: it renders a `StressView`, and the command decides when to draw it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich.console import Group
from rich.table import Table
from rich.text import Text

from resilience_cli import palette
from resilience_cli.glyphs import UNICODE, Glyphs
from resilience_cli.reporting.stress import (
    LEGEND,
    gauges_text,
    moments_table,
    rate_of,
    reasons_text,
    seconds_text,
    series_table,
    timeline,
)
from resilience_cli.reporting.text import milliseconds, plain, state_text

if TYPE_CHECKING:
    from rich.console import RenderableType

    from resilience_cli.reporting.stress import StressView

LABEL_WIDTH: Final = 10
TRANSITIONS_SHOWN: Final = 4
ROWS_SHOWN: Final = 5


def render_dashboard(
    view: StressView,
    *,
    title: str = "resilience stress",
    fault: str = "",
    glyphs: Glyphs = UNICODE,
    width: int = 100,
) -> RenderableType:
    """The run as it stands, in about 25 lines of `width` columns."""
    lines = Table.grid(padding=(0, 1))
    lines.add_column(no_wrap=True, min_width=LABEL_WIDTH - 1)
    lines.add_column(no_wrap=True, overflow="ellipsis")
    last = view.rows[-1] if view.rows else None
    achieved = "-" if last is None else f"{rate_of(last):,.1f}/s"
    lines.add_row(
        "rate",
        f"{achieved} achieved, target {view.target_rate:,.4g}/s   arrivals {view.arrivals}"
        f"   dropped {view.dropped}   in flight {view.in_flight} of {view.max_in_flight}",
    )
    total = view.tally.total()
    fallbacks = total.fallbacks + total.failed
    reasons = dict(view.tally.fallbacks_by_reason)
    lines.add_row(
        "calls",
        Text.assemble(
            "ok ",
            (str(total.succeeded), palette.GOOD),
            "   recovered ",
            (str(total.recovered), palette.RECOVERED),
            "   fallback ",
            (str(fallbacks), palette.CAUTION if fallbacks else ""),
            f" ({reasons_text(list(reasons.items()))})" if fallbacks else "",
        ),
    )
    recent = (
        "-"
        if last is None
        else (f"p50 {milliseconds(last.p50 * 1000)} ms  p99 {milliseconds(last.p99 * 1000)} ms")
    )
    whole = total.latencies
    lines.add_row(
        "latency",
        f"last {view.interval:g} s: {recent}   whole run: p50"
        f" {milliseconds(whole.percentile(50) * 1000)} ms  p99"
        f" {milliseconds(whole.percentile(99) * 1000)} ms",
    )
    patterns = gauges_text(view.gauges)
    lines.add_row("patterns", patterns or "bulkhead off  limiter off")
    state = view.gauges.breaker
    lines.add_row(
        "breaker",
        Text.assemble(
            state_text(state) if state is not None else Text("off"),
            f"   ({len(view.moments)} transition{'' if len(view.moments) == 1 else 's'})",
        ),
    )
    cells = max(10, width - LABEL_WIDTH - 2)
    lines.add_row("timeline", timeline(view.rows, cells))
    lines.add_row("", plain(f"{LEGEND}; a cell is {view.interval:g} s"))
    heading = Text.assemble(
        (title, palette.STRONG),
        f"  {seconds_text(view.elapsed)} of {seconds_text(view.duration)}",
        ("   fault now: " + fault) if fault else "",
    )
    parts: list[RenderableType] = [heading, lines]
    if view.moments:
        earlier = len(view.moments) - TRANSITIONS_SHOWN
        more = f", {earlier} earlier" if earlier > 0 else ""
        parts += [
            Text(f"transitions (seconds into the run{more})", style=palette.STRONG),
            moments_table(view.moments, glyphs, last=TRANSITIONS_SHOWN),
        ]
    if view.rows:
        parts += [
            Text("last intervals", style=palette.STRONG),
            series_table(view.rows[-ROWS_SHOWN:], brief=True),
        ]
    return Group(*parts)

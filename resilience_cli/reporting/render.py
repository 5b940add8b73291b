"""Rich renderables for the end-of-run summary and the breaker panel. Nothing prints here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from resilience_cli import palette
from resilience_cli.glyphs import UNICODE, Glyphs
from resilience_cli.reporting.compact import compact_breaker, compact_summary
from resilience_cli.reporting.document import iso
from resilience_cli.reporting.text import (
    STATE_STYLES,
    counted,
    interrupted_line,
    milliseconds,
    plain,
    state_text,
    transition_text,
)
from resilience_cli.view import View

if TYPE_CHECKING:
    from rich.console import ConsoleOptions, RenderableType

    from resilience_cli.measure import EndpointRow, RunSummary
    from resilience_cli.patterns import Transition
    from resilience_cli.state.breaker import BreakerView

# Where other modules have always found them.
__all__ = [
    "STATE_STYLES",
    "plain",
    "render_breaker",
    "render_summary",
    "state_text",
    "transition_text",
]


class _TwinBox(box.Box):
    """A light Rich box that keeps its look where lines cannot be drawn.

    Rich swaps any box for a full ASCII grid when the console's encoding has no line
    characters (cp1252, ASCII); these boxes only have a rule under the header, which is
    redrawn in dashes instead.
    """

    def __init__(self, drawn: str) -> None:
        super().__init__(drawn)
        self._dashed = box.Box(drawn.replace("─", "-"), ascii=True)

    def substitute(self, options: ConsoleOptions, safe: bool = True) -> box.Box:
        """The dashed twin on a console that cannot draw lines; else as Rich decides."""
        return self._dashed if options.ascii_only else super().substitute(options, safe)


# Rich's SIMPLE_HEAD and SIMPLE, with an ASCII twin.
_RULE_UNDER_HEAD: Final = _TwinBox("    \n    \n ── \n    \n    \n    \n    \n    \n")
_RULES_AROUND: Final = _TwinBox("    \n    \n ── \n    \n    \n ── \n    \n    \n")


def _calls_table(summary: RunSummary) -> Table:
    table = Table(
        title="Calls (ok: on the first try; latency in ms)",
        title_justify="left",
        box=_RULE_UNDER_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("endpoint", no_wrap=True)
    for column in ("calls", "ok", "recovered", "fallback", "retries", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="right", no_wrap=True)
    rows: list[tuple[EndpointRow, str]] = [(row, "") for row in summary.endpoints]
    if len(summary.endpoints) != 1:
        rows.append((summary.total, palette.STRONG))
    for row, style in rows:
        fallbacks = row.fallbacks + row.failed
        table.add_row(
            plain(row.label),
            str(row.calls),
            counted(row.succeeded, palette.GOOD),
            counted(row.recovered, palette.RECOVERED),
            counted(fallbacks, palette.CAUTION),
            str(row.retries),
            milliseconds(row.latency.p50),
            milliseconds(row.latency.p95),
            milliseconds(row.latency.p99),
            milliseconds(row.latency.max),
            style=style,
        )
    return table


def _reasons_table(summary: RunSummary) -> Table:
    table = Table(title="Why", title_justify="left", box=_RULE_UNDER_HEAD, pad_edge=False)
    table.add_column("reason")
    table.add_column("calls fell back", justify="right")
    table.add_column("attempts failed", justify="right")
    fell_back = dict(summary.fallbacks_by_reason)
    failed = dict(summary.failed_attempts_by_reason)
    for reason in sorted(fell_back.keys() | failed.keys()):
        table.add_row(reason.value, str(fell_back.get(reason, 0)), str(failed.get(reason, 0)))
    return table


def _pacing_table(summary: RunSummary) -> Table:
    table = Table(
        title="Concurrency and pacing",
        title_justify="left",
        show_header=False,
        box=_RULES_AROUND,
        pad_edge=False,
    )
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("attempts (all calls)", str(summary.attempts))
    table.add_row("concurrency asked", str(summary.concurrency))
    table.add_row("peak calls in flight", str(summary.peak_in_flight))
    if summary.bulkhead_peak is not None:
        table.add_row("bulkhead peak in use", str(summary.bulkhead_peak))
        table.add_row("bulkhead peak queued", str(summary.bulkhead_peak_waiting))
    if summary.limiter_waits is not None:
        table.add_row("attempts paced by the rate limiter", str(summary.limiter_waits))
    rate = summary.achieved_rate
    table.add_row("achieved rate", "-" if rate is None else f"{rate:,.1f} calls/s")
    table.add_row("elapsed", f"{summary.elapsed:,.3f} s")
    return table


def _transitions_table(transitions: tuple[Transition, ...], glyphs: Glyphs) -> Table:
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column(f"from {glyphs.arrow} to", no_wrap=True)
    table.add_column("why")
    for transition in transitions:
        table.add_row(
            iso(transition.at) or "",
            transition_text(transition.from_state, transition.to_state, glyphs),
            plain(transition.reason),
        )
    return table


def render_breaker(
    breaker: BreakerView,
    transitions: tuple[Transition, ...],
    *,
    title: str = "Circuit breaker",
    glyphs: Glyphs = UNICODE,
    view: View = View.FULL,
) -> RenderableType:
    """The breaker now: state, fail count, when it opened, time to half-open, history.

    `title` may quote outside text (the state file's path): it is shown as text. The
    compact view lists only the last few transitions, and counts the rest.
    """
    if view is View.COMPACT:
        return compact_breaker(breaker, transitions, title=title, glyphs=glyphs)
    lines = Table.grid(padding=(0, 2))
    lines.add_column()
    lines.add_column()
    lines.add_row("state", state_text(breaker.state))
    lines.add_row("fail count", str(breaker.fail_count))
    lines.add_row("opened at", iso(breaker.opened_at) or glyphs.dash)
    if breaker.open_remaining is not None:
        lines.add_row("half-open in", f"{breaker.open_remaining:.1f} s")
    parts: list[RenderableType] = [lines]
    if transitions:
        parts += [
            Text(""),
            Text("recent transitions", style=palette.STRONG),
            _transitions_table(transitions, glyphs),
        ]
    return Panel(Group(*parts), title=plain(title), title_align="left", expand=False)


def render_summary(
    summary: RunSummary, *, glyphs: Glyphs = UNICODE, view: View = View.FULL
) -> Group:
    """The end-of-run report: calls, fallbacks by reason, pacing, and the breaker."""
    if view is View.COMPACT:
        return compact_summary(summary, glyphs=glyphs)
    heading = Text.assemble(
        (f"resilience {summary.command}", palette.STRONG),
        f": {summary.total.calls} of {summary.planned} calls against ",
        plain(summary.target),
        f" (seed {summary.seed})",
    )
    parts: list[RenderableType] = [heading, _calls_table(summary)]
    if summary.fallbacks_by_reason or summary.failed_attempts_by_reason:
        parts.append(_reasons_table(summary))
    parts.extend(plain(line) for line in summary.failure_rules)
    parts.append(_pacing_table(summary))
    breaker_line = Text.assemble(
        "breaker ", transition_text(summary.before.state, summary.after.state, glyphs)
    )
    parts.append(
        render_breaker(summary.after, summary.transitions, title=breaker_line.plain, glyphs=glyphs)
        if summary.transitions
        else breaker_line
    )
    if summary.interrupted:
        parts.append(Text(interrupted_line(summary), palette.BAD))
    return Group(*parts)

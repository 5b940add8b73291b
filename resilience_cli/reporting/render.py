"""Rich renderables for the end-of-run summary and the breaker panel. Nothing prints here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from resilience_cli.patterns import BreakerState
from resilience_cli.reporting.document import iso

if TYPE_CHECKING:
    from rich.console import RenderableType

    from resilience_cli.patterns import Transition
    from resilience_cli.reporting.summary import EndpointRow, RunSummary
    from resilience_cli.state.breaker import BreakerView

STATE_STYLES = {
    BreakerState.CLOSED: "bold green",
    BreakerState.OPEN: "bold red",
    BreakerState.HALF_OPEN: "bold yellow",
    BreakerState.FORCED_OPEN: "bold magenta",
}


def state_text(state: BreakerState) -> Text:
    """The state's name, upper case, in its colour."""
    return Text(state.value.upper(), style=STATE_STYLES[state])


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _calls_table(summary: RunSummary) -> Table:
    table = Table(
        title="Calls (ok: on the first try; latency in ms)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("endpoint", no_wrap=True)
    for column in ("calls", "ok", "recovered", "fallback", "retries", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="right", no_wrap=True)
    rows: list[tuple[EndpointRow, str]] = [(row, "") for row in summary.endpoints]
    if len(summary.endpoints) != 1:
        rows.append((summary.total, "bold"))
    for row, style in rows:
        fallbacks = row.fallbacks + row.failed
        table.add_row(
            row.label,
            str(row.calls),
            Text(str(row.succeeded), style="green" if row.succeeded else ""),
            Text(str(row.recovered), style="cyan" if row.recovered else ""),
            Text(str(fallbacks), style="yellow" if fallbacks else ""),
            str(row.retries),
            _ms(row.latency.p50),
            _ms(row.latency.p95),
            _ms(row.latency.p99),
            _ms(row.latency.max),
            style=style,
        )
    return table


def _reasons_table(summary: RunSummary) -> Table:
    table = Table(title="Why", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
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
        box=box.SIMPLE,
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
    table.add_row("achieved rate", f"{summary.achieved_rate:,.1f} calls/s")
    table.add_row("elapsed", f"{summary.elapsed:,.3f} s")
    return table


def _transitions_table(transitions: tuple[Transition, ...]) -> Table:
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("at (UTC)")
    table.add_column("from → to")
    table.add_column("why")
    for transition in transitions:
        at = iso(transition.at) or ""
        table.add_row(
            at[11:23],
            Text.assemble(
                state_text(transition.from_state), " → ", state_text(transition.to_state)
            ),
            transition.reason,
        )
    return table


def render_breaker(
    view: BreakerView, transitions: tuple[Transition, ...], *, title: str = "Circuit breaker"
) -> Panel:
    """The breaker now: state, fail count, when it opened, time to half-open, history."""
    lines = Table.grid(padding=(0, 2))
    lines.add_column(style="dim")
    lines.add_column()
    lines.add_row("state", state_text(view.state))
    lines.add_row("fail count", str(view.fail_count))
    lines.add_row("opened at", iso(view.opened_at) or "—")
    if view.open_remaining is not None:
        lines.add_row("half-open in", f"{view.open_remaining:.1f} s")
    parts: list[RenderableType] = [lines]
    if transitions:
        parts += [
            Text(""),
            Text("recent transitions", style="dim"),
            _transitions_table(transitions),
        ]
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


def render_summary(summary: RunSummary) -> Group:
    """The end-of-run report: calls, fallbacks by reason, pacing, and the breaker."""
    heading = Text.assemble(
        (f"resilience {summary.command}", "bold"),
        f": {summary.total.calls} of {summary.planned} calls against {summary.target}",
        f" (seed {summary.seed})",
    )
    parts: list[RenderableType] = [heading, _calls_table(summary)]
    if summary.fallbacks_by_reason or summary.failed_attempts_by_reason:
        parts.append(_reasons_table(summary))
    parts.append(_pacing_table(summary))
    breaker_line = Text.assemble(
        "breaker ", state_text(summary.before.state), " → ", state_text(summary.after.state)
    )
    parts.append(
        render_breaker(summary.after, summary.transitions, title=breaker_line.plain)
        if summary.transitions
        else breaker_line
    )
    if summary.interrupted:
        parts.append(Text(_interrupted_line(summary), "bold red"))
    return Group(*parts)


def _interrupted_line(summary: RunSummary) -> str:
    finished = f"{summary.total.calls} of {summary.planned} calls finished"
    if not summary.cut_short:
        return f"interrupted: {finished}; state saved"
    return (
        f"interrupted: {finished}, {summary.cut_short} cut short (their failed attempts are"
        " counted above); state saved"
    )

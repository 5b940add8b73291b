"""Rich renderables for the end-of-run summary and the breaker panel. Nothing prints here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from resilience_cli.glyphs import UNICODE, Glyphs
from resilience_cli.patterns import BreakerState
from resilience_cli.printable import shown
from resilience_cli.reporting.document import iso

if TYPE_CHECKING:
    from rich.console import ConsoleOptions, RenderableType

    from resilience_cli.patterns import Transition
    from resilience_cli.reporting.summary import EndpointRow, RunSummary
    from resilience_cli.state.breaker import BreakerView


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

STATE_STYLES = {
    BreakerState.CLOSED: "bold green",
    BreakerState.OPEN: "bold red",
    BreakerState.HALF_OPEN: "bold yellow",
    BreakerState.FORCED_OPEN: "bold magenta",
}


def state_text(state: BreakerState) -> Text:
    """The state's name, upper case, in its colour."""
    return Text(state.value.upper(), style=STATE_STYLES[state])


def plain(text: object, style: str = "", *, multiline: bool = False) -> Text:
    """Outside text (a name, a reason, a URL) as Rich text: never markup, nothing hidden."""
    return Text(shown(text, multiline=multiline), style=style)


def transition_text(from_state: BreakerState, to_state: BreakerState, glyphs: Glyphs) -> Text:
    """`CLOSED → OPEN`, each state in its colour."""
    return Text.assemble(state_text(from_state), f" {glyphs.arrow} ", state_text(to_state))


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


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
        rows.append((summary.total, "bold"))
    for row, style in rows:
        fallbacks = row.fallbacks + row.failed
        table.add_row(
            plain(row.label),
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
    view: BreakerView,
    transitions: tuple[Transition, ...],
    *,
    title: str = "Circuit breaker",
    glyphs: Glyphs = UNICODE,
) -> Panel:
    """The breaker now: state, fail count, when it opened, time to half-open, history.

    `title` may quote outside text (the state file's path): it is shown as text.
    """
    lines = Table.grid(padding=(0, 2))
    lines.add_column(style="dim")
    lines.add_column()
    lines.add_row("state", state_text(view.state))
    lines.add_row("fail count", str(view.fail_count))
    lines.add_row("opened at", iso(view.opened_at) or glyphs.dash)
    if view.open_remaining is not None:
        lines.add_row("half-open in", f"{view.open_remaining:.1f} s")
    parts: list[RenderableType] = [lines]
    if transitions:
        parts += [
            Text(""),
            Text("recent transitions", style="dim"),
            _transitions_table(transitions, glyphs),
        ]
    return Panel(Group(*parts), title=plain(title), title_align="left", expand=False)


def render_summary(summary: RunSummary, *, glyphs: Glyphs = UNICODE) -> Group:
    """The end-of-run report: calls, fallbacks by reason, pacing, and the breaker."""
    heading = Text.assemble(
        (f"resilience {summary.command}", "bold"),
        f": {summary.total.calls} of {summary.planned} calls against ",
        plain(summary.target),
        f" (seed {summary.seed})",
    )
    parts: list[RenderableType] = [heading, _calls_table(summary)]
    if summary.fallbacks_by_reason or summary.failed_attempts_by_reason:
        parts.append(_reasons_table(summary))
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

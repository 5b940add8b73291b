"""The compact view: a run's headline and the breaker in about 15 lines at 100 columns.

See `resilience_cli.view` for when it is shown. Everything the full view
leaves out here (p95 and max, the per-reason attempt table, older transitions, the
concurrency table) is one `--view full` away; nothing here is new.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from resilience_cli import palette
from resilience_cli.reporting.document import iso
from resilience_cli.reporting.text import (
    Packed,
    counted,
    interrupted_line,
    milliseconds,
    plain,
    state_text,
    transition_text,
)
from resilience_cli.view import LAST_TRANSITIONS, MAX_ENDPOINT_ROWS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType

    from resilience_cli.glyphs import Glyphs
    from resilience_cli.measure import EndpointRow, RunSummary
    from resilience_cli.patterns import Reason, Transition
    from resilience_cli.state.breaker import BreakerView


def last_transitions(
    transitions: tuple[Transition, ...],
) -> tuple[tuple[Transition, ...], int]:
    """The last few transitions, and how many earlier ones are left out."""
    shown = transitions[-LAST_TRANSITIONS:]
    return shown, len(transitions) - len(shown)


def _calls_table(summary: RunSummary) -> Table:
    table = Table(box=None, pad_edge=False, header_style=palette.STRONG)
    table.add_column("endpoint", no_wrap=True)
    for column in ("calls", "ok", "recovered", "fallback", "retries", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right", no_wrap=True)
    rows: list[tuple[EndpointRow, str]] = []
    if len(summary.endpoints) <= MAX_ENDPOINT_ROWS:
        rows += [(row, palette.PLAIN) for row in summary.endpoints]
    if len(summary.endpoints) != 1:
        label = "all" if len(rows) else f"all {len(summary.endpoints)} endpoints"
        rows.append((replace(summary.total, label=label), palette.STRONG))
    for row, style in rows:
        table.add_row(
            plain(row.label),
            str(row.calls),
            counted(row.succeeded, palette.GOOD),
            counted(row.recovered, palette.RECOVERED),
            counted(row.fallbacks + row.failed, palette.CAUTION),
            str(row.retries),
            milliseconds(row.latency.p50),
            milliseconds(row.latency.p99),
            style=style,
        )
    return table


def _by_reason(counts: Sequence[tuple[Reason, int]], glyphs: Glyphs) -> str:
    """`19 breaker_open · 1 http_5xx`: the largest first."""
    ranked = sorted(counts, key=lambda item: -item[1])
    return f" {glyphs.dot} ".join(f"{count} {reason.value}" for reason, count in ranked)


def _pacing(summary: RunSummary, glyphs: Glyphs) -> Packed:
    parts = [f"peak in flight {summary.peak_in_flight}"]
    if summary.bulkhead_peak is not None:
        parts.append(
            f"bulkhead peak {summary.bulkhead_peak}, queued {summary.bulkhead_peak_waiting}"
        )
    if summary.limiter_waits is not None:
        parts.append(f"rate-limited {summary.limiter_waits}")
    rate = summary.achieved_rate
    speed = "" if rate is None else f"{rate:,.1f} calls/s in "
    parts.append(f"{speed}{summary.elapsed:,.3f} s")
    return Packed(parts, f" {glyphs.dot} ")


def _transition_rows(transitions: Sequence[Transition], glyphs: Glyphs) -> Table:
    rows = Table.grid(padding=(0, 2))
    rows.add_column(no_wrap=True)
    rows.add_column()
    for transition in transitions:
        rows.add_row(
            transition_text(transition.from_state, transition.to_state, glyphs),
            plain(transition.reason),
        )
    return rows


def _breaker(summary: RunSummary, glyphs: Glyphs) -> RenderableType:
    before, after = summary.before.state, summary.after.state
    headline = transition_text(before, after, glyphs)
    transitions = summary.transitions
    if not transitions:
        return Text.assemble(headline, ", no transition")
    only = transitions[0]
    if len(transitions) == 1 and (only.from_state, only.to_state) == (before, after):
        return Text.assemble(headline, "  ", plain(only.reason))
    shown, earlier = last_transitions(transitions)
    count = f", {len(transitions)} transitions" + (f", the last {len(shown)}:" if earlier else ":")
    return Group(Text.assemble(headline, count), _transition_rows(shown, glyphs))


def compact_summary(summary: RunSummary, *, glyphs: Glyphs) -> Group:
    """A call command's headline: the Calls table, why, pacing, and the breaker."""
    heading = Text.assemble(
        (f"resilience {summary.command}", palette.STRONG),
        f": {summary.total.calls} of {summary.planned} calls against ",
        plain(summary.target),
        f" (seed {summary.seed})",
    )
    facts = Table.grid(padding=(0, 2))
    facts.add_column(no_wrap=True)
    facts.add_column()
    if summary.fallbacks_by_reason:
        facts.add_row("fell back", _by_reason(summary.fallbacks_by_reason, glyphs))
    failed = sum(count for _, count in summary.failed_attempts_by_reason)
    attempts = f"{summary.attempts}"
    if failed:
        attempts += f", failed: {_by_reason(summary.failed_attempts_by_reason, glyphs)}"
    facts.add_row("attempts", attempts)
    rules = summary.failure_rules
    if rules and (len(rules) > 1 or not rules[0].endswith("(default)")):
        facts.add_row("failures", plain("; ".join(rules)))
    facts.add_row("pacing", _pacing(summary, glyphs))
    facts.add_row("breaker", _breaker(summary, glyphs))
    parts: list[RenderableType] = [heading, _calls_table(summary), facts]
    if summary.interrupted:
        parts.append(Text(interrupted_line(summary), palette.BAD))
    return Group(*parts)


def compact_breaker(
    breaker: BreakerView,
    transitions: tuple[Transition, ...],
    *,
    title: str,
    glyphs: Glyphs,
) -> Group:
    """The breaker in a few lines: state and counts, and its last few transitions."""
    lines = Table.grid(padding=(0, 2))
    for _ in range(4):
        lines.add_column(no_wrap=True)
    lines.add_row("state", state_text(breaker.state), "fail count", str(breaker.fail_count))
    if breaker.opened_at is not None:  # a closed breaker's empty line is left out
        remaining = "" if breaker.open_remaining is None else f"{breaker.open_remaining:.1f} s"
        lines.add_row(
            "opened at",
            iso(breaker.opened_at) or "",
            "half-open in" if remaining else "",
            remaining,
        )
    parts: list[RenderableType] = [lines]
    if transitions:
        shown, earlier = last_transitions(transitions)
        what = (
            f"the last {len(shown)} of {len(transitions)} transitions (--view full: all)"
            if earlier
            else "recent transitions"
        )
        rows = Table.grid(padding=(0, 2))
        rows.add_column(no_wrap=True)
        rows.add_column(no_wrap=True)
        rows.add_column()
        for transition in shown:
            rows.add_row(
                iso(transition.at) or "",
                transition_text(transition.from_state, transition.to_state, glyphs),
                plain(transition.reason),
            )
        parts += [Text(what), rows]
    # No box: its two lines and four columns are worth more to a 30-row projector, and the
    # longest reason then fits beside its time at 100 columns.
    return Group(plain(title, palette.STRONG), *parts)

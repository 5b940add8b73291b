"""The compact view: a step's headline in about 15 lines at 100 columns."""

import io
from dataclasses import replace

import pytest
from rich.console import Console

from resilience_cli.measure import RunTally, summarize
from resilience_cli.patterns import (
    AttemptRecord,
    BreakerState,
    CallOutcome,
    Failure,
    OutcomeKind,
    Policies,
    Reason,
    Transition,
)
from resilience_cli.reporting import render_breaker, render_summary
from resilience_cli.request import Request
from resilience_cli.run import CallResult, RunPlan, RunResult
from resilience_cli.state.breaker import BreakerView
from resilience_cli.view import COMPACT_BELOW_ROWS, View, default_view

WALL = 1_767_225_600.0
GET = Request("/get")
SLOW = Request("/delay/3")
ERR = Request("/status/500")
TIMEOUT = Failure(Reason.TIMEOUT, retryable=True)
CLOSED, OPEN, HALF = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def render(renderable) -> list[str]:
    file = io.StringIO()
    Console(file=file, width=100, color_system=None).print(renderable)
    return file.getvalue().splitlines()


def flap(count: int) -> tuple[Transition, ...]:
    """`count` transitions, CLOSED -> OPEN -> HALF_OPEN -> CLOSED -> ..., each with its reason."""
    cycle = [(CLOSED, OPEN), (OPEN, HALF), (HALF, CLOSED)]
    return tuple(
        Transition(*cycle[i % 3], WALL + i, f"reason number {i + 1}") for i in range(count)
    )


def call(endpoint, kind, *failures, reason=None, duration=0.5) -> CallResult:
    attempts = tuple(AttemptRecord(i + 1, 0.01, f) for i, f in enumerate(failures))
    return CallResult(endpoint, 0.0, CallOutcome(kind, None, reason, attempts, duration))


def tally(calls) -> RunTally:
    counted = RunTally()
    for each in calls:
        counted.add(each.request.label, each.outcome)
    return counted


def mixed_run(transitions: tuple[Transition, ...] = flap(1)) -> RunResult:
    """Sixty calls over three endpoints: successes, recoveries, timeouts and open refusals."""
    calls = (
        [call(GET, OutcomeKind.SUCCESS, None, duration=0.01)] * 30
        + [call(SLOW, OutcomeKind.RECOVERED, TIMEOUT, None)] * 10
        + [call(SLOW, OutcomeKind.FALLBACK, TIMEOUT, TIMEOUT, TIMEOUT, reason=Reason.TIMEOUT)] * 5
        + [call(ERR, OutcomeKind.FALLBACK, reason=Reason.BREAKER_OPEN, duration=0.0)] * 15
    )
    after = transitions[-1].to_state if transitions else CLOSED
    return RunResult(
        plan=RunPlan(
            calls=tuple(c.request for c in calls), policies=Policies(), concurrency=10, seed=0
        ),
        tally=tally(calls),
        before=BreakerView(CLOSED, 0, None, None),
        after=BreakerView(after, 5, WALL, 29.5),
        transitions=transitions,
        bulkhead=None,
        rate_limiter=None,
        peak_in_flight=10,
        elapsed=3.0,
        interrupted=False,
        target="in-process",
    )


def test_compact_call_summary_fits_in_about_15_lines():
    """60 mixed calls on three endpoints: heading, table, reasons, pacing, breaker: <= 15 lines."""
    summary = summarize(mixed_run(), "invoke")
    compact = render(render_summary(summary, view=View.COMPACT))
    full = render(render_summary(summary, view=View.FULL))
    assert len(compact) <= 15
    assert len(full) >= 30  # what the class had: the Calls table scrolled away


def test_compact_call_summary_keeps_the_headline():
    """Calls, ok, recovered, fallbacks by reason, retries, p50/p99 and the breaker with its why."""
    text = "\n".join(render(render_summary(summarize(mixed_run(), "invoke"), view=View.COMPACT)))
    header = next(line for line in text.splitlines() if line.startswith("endpoint"))
    assert header.split() == [
        "endpoint", "calls", "ok", "recovered", "fallback", "retries", "p50", "ms", "p99", "ms"
    ]  # fmt: skip
    total = next(line for line in text.splitlines() if line.startswith("all"))
    assert total.split()[:6] == ["all", "60", "30", "10", "20", "20"]
    assert "fell back  15 breaker_open · 5 timeout" in text
    assert "attempts   65, failed: 25 timeout" in text
    assert "CLOSED → OPEN  reason number 1" in text


def test_compact_summary_lists_the_last_transitions_and_counts_the_rest():
    """Seven transitions: the last three with their reasons, and how many there were."""
    text = "\n".join(
        render(render_summary(summarize(mixed_run(flap(7)), "invoke"), view=View.COMPACT))
    )
    assert "CLOSED → OPEN, 7 transitions, the last 3:" in text
    assert [f"reason number {n}" in text for n in range(1, 8)] == [False] * 4 + [True] * 3


def test_compact_summary_with_many_endpoints_keeps_to_the_total():
    """More than four endpoints: one total row instead of a row each."""
    run = mixed_run()
    many = tuple(call(Request(f"/anything/{i}"), OutcomeKind.SUCCESS, None) for i in range(6))
    run = replace(run, tally=tally(many))
    lines = render(render_summary(summarize(run, "invoke"), view=View.COMPACT))
    assert not any(line.startswith("/anything") for line in lines)
    assert any(line.startswith("all 6 endpoints") for line in lines)


def test_compact_breaker_panel_stays_short_after_twenty_transitions():
    """`state` after 20 transitions: 7 lines with the last 3; the full view lists all 20."""
    breaker = BreakerView(OPEN, 5, WALL, 12.3)
    compact = render(render_breaker(breaker, flap(20), view=View.COMPACT))
    full = render(render_breaker(breaker, flap(20), view=View.FULL))
    assert len(compact) <= 8
    assert "the last 3 of 20 transitions (--view full: all)" in "\n".join(compact)
    assert "reason number 20" in "\n".join(compact)
    assert "reason number 17" not in "\n".join(compact)
    assert all(f"reason number {n}" in "\n".join(full) for n in range(1, 21))
    assert len(full) > 25


def test_compact_breaker_of_a_closed_breaker_leaves_out_its_empty_opening():
    """A closed breaker that never opened: the state line, no `opened at —`."""
    lines = render(render_breaker(BreakerView(CLOSED, 0, None, None), (), view=View.COMPACT))
    assert len(lines) == 2
    assert "opened at" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("is_terminal", "rows", "view"),
    [
        (True, 24, View.COMPACT),
        (True, 30, View.COMPACT),
        (True, COMPACT_BELOW_ROWS - 1, View.COMPACT),
        (True, COMPACT_BELOW_ROWS, View.FULL),
        (True, 60, View.FULL),
        (False, 30, View.FULL),  # piped: CI logs keep every number
        (False, 25, View.FULL),
    ],
)
def test_default_view_is_compact_only_on_a_short_terminal(is_terminal, rows, view):
    """Compact on a terminal of fewer than 40 rows; full on a taller one, and off a terminal."""
    assert default_view(is_terminal=is_terminal, rows=rows) is view

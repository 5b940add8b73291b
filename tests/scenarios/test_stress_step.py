"""A scenario's `stress` step: its settings, its windows, and expectations judged over time."""

from __future__ import annotations

import math

import pytest

from resilience_cli.errors import UsageError
from resilience_cli.measure import RunStatus
from resilience_cli.measure.series import Window
from resilience_cli.scenarios import ScenarioError, parse_scenario
from resilience_cli.scenarios.metrics import States, evaluate, split_window
from resilience_cli.scenarios.metrics._windows import parse_window
from resilience_cli.scenarios.runner import run_scenario
from resilience_cli.scenarios.thresholds import parse_threshold
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget

HEAD = "version: 1\ntitle: t\nsteps:\n"
DEMO = """\
version: 1
title: degraded, then healed
seed: 7
defaults:
  policies:
    breaker: {open_for: 3s}
steps:
  - name: load
    stress:
      duration: 25s
      arrival_rate: 20
      phases: ["6s:status=500@0.6", "14s:healthy"]
    expect:
"""


def problems(text: str) -> list[str]:
    try:
        parse_scenario(text, "t.yaml")
    except ScenarioError as caught:
        return str(caught).splitlines()
    return []


async def run(text: str, clock, tmp_path):
    scenario = parse_scenario(text, "t.yaml")
    return await run_scenario(
        scenario,
        source="t.yaml",
        clock=clock,
        store=JsonFileStore(tmp_path / "breaker.json", clock=clock),
        target_for=lambda faults=None: InProcessTarget(scenario.seed, clock.wall, faults),
        virtual_time=True,
    )


@pytest.mark.parametrize(
    ("name", "metric", "window"),
    [
        ("breaker.state[10s..25s]", "breaker.state", Window(10, 25)),
        ("latency[500ms..1.5m]", "latency", Window(0.5, 90)),
        ("dropped[ 0 .. 3 ]", "dropped", Window(0, 3)),
        ("fallback.breaker_open[last 10s]", "fallback.breaker_open", Window(20, math.inf)),
        ("calls[last 40s]", "calls", Window(0, math.inf)),
    ],
)
def test_a_window_reads_as_a_span_of_the_run(name, metric, window):
    """`[A..B]` is A to B seconds in; `[last N]` the arrivals' last N seconds and on (30 s run)."""
    base, spec = split_window(name)
    assert base == metric
    assert spec is not None
    assert spec.window(30.0) == window


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10s", "is not a window"),
        ("25s..10s", "must end after it starts"),
        ("10x..20s", "the start of the window must be a number of seconds"),
        ("last", "is not a window"),
        ("last 0s", "needs a span above 0"),
        ("last soon", "the span of 'last' must be a number of seconds"),
    ],
)
def test_a_bad_window_says_what_is_wrong(text, message):
    """Each malformed window is one line naming what is wrong."""
    with pytest.raises(ValueError, match=message):
        parse_window(text)


def test_a_window_states_metric_holds_if_the_state_came_at_any_point():
    """`== open` holds if open is among the window's states; `!= open` if it never came."""
    seen = {"breaker.state[6s..14s]": States(("closed", "open", "half_open"))}
    met = evaluate("breaker.state[6s..14s]", parse_threshold("value == open"), seen)
    assert (met.passed, met.observed_text) == (True, "was closed, open, half_open")
    never = evaluate("breaker.state[6s..14s]", parse_threshold("value != open"), seen)
    assert never.passed is False
    assert (
        evaluate("breaker.state[6s..14s]", parse_threshold("value == forced_open"), seen).passed
        is False
    )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "  - stress: {duration: 10s}\n    expect:\n      breaker.state[12s..20s]: open\n",
            "starts after the arrivals end, at 10s",
        ),
        (
            "  - stress: {duration: 10s}\n    expect:\n      calls[last 20s]: count > 0\n",
            "the arrivals last 10s, less than [last 20s]",
        ),
        (
            "  - stress: {}\n    expect:\n      attempts[0s..5s]: value > 0\n",
            "'attempts' has no window",
        ),
        (
            "  - stress: {}\n    expect:\n      breaker.state[5s]: open\n",
            "[5s] is not a window",
        ),
        (
            "  - invoke: {}\n    expect:\n      breaker.state[0s..5s]: open\n",
            "a window [...] is for stress steps only",
        ),
        (
            "  - invoke: {}\n    expect: {dropped: count == 0}\n",
            "'dropped' is measured only on stress steps",
        ),
        (
            "  - stress: {}\n    expect:\n      breaker.state[0s..5s]: count > 1\n",
            "is a word",
        ),
        (
            "  - stress: {duration: 10s, stages: '5s:10'}\n",
            "stages set the duration themselves",
        ),
        (
            "  - stress: {phases: ['6s:status=500@0.6', '6s:healthy']}\n",
            "two phases start at 6s",
        ),
        (
            "  - stress: {interval: 0.1, duration: 1h}\n",
            "must be a number of seconds",
        ),
    ],
)
def test_a_stress_step_is_checked_before_it_runs(step, message):
    """A window that misses the run, a metric it cannot take, bad settings: file:line, exit 2."""
    found = problems(HEAD + step)
    assert len(found) == 1, found
    assert found[0].startswith("t.yaml:")
    assert message in found[0]


def test_a_stress_step_takes_policies():
    """Policies are for call steps and stress steps alike."""
    assert problems(HEAD + "  - stress: {}\n    policies: {breaker: {open_for: 3s}}\n") == []


async def test_a_stress_step_is_judged_over_windows_of_its_run(clock, tmp_path):
    """Healthy, then 60 % errors from 6 s, healed from 14 s: each window says what it saw."""
    report = await run(
        DEMO
        + """\
      dropped: count == 0
      arrivals: count == 500
      arrivals[0s..6s]: count == 120
      breaker.state[0s..6s]: value != open
      outcome.ok[0s..6s]: rate == 1
      breaker.state[6s..14s]: open
      breaker.opened[6s..14s]: value >= 1
      breaker.transitions[6s..14s]: value >= 2
      breaker.closed[last 12s]: value == 1
      dropped[0s..6s]: count == 0
      fallback.breaker_open[6s..14s]: count > 0
      fallback.breaker_open[last 6s]: rate == 0
      latency[last 6s]: p(99) < 50ms
      breaker.state: closed
""",
        clock,
        tmp_path,
    )
    failed = [f"{v.name}: {v.observed_text}" for v in report.verdicts if not v.passed]
    assert failed == []
    assert report.status is RunStatus.PASSED
    (step,) = report.steps
    assert step.summary is not None
    assert step.summary.total.calls == 500
    assert step.elapsed == pytest.approx(25.0)


async def test_a_window_that_did_not_see_the_state_fails_and_says_what_it_saw(clock, tmp_path):
    """`breaker.state[0s..6s]: open` fails while healthy, showing the states it went through."""
    report = await run(DEMO + "      breaker.state[0s..6s]: open\n", clock, tmp_path)
    (verdict,) = report.verdicts
    assert (verdict.passed, verdict.observed_text) == (False, "was closed")
    assert report.status is RunStatus.FAILED


async def test_with_the_breaker_off_its_windows_have_no_data(clock, tmp_path):
    """No breaker, no states: `breaker.state[...]` has no data and fails."""
    text = DEMO.replace("breaker: {open_for: 3s}", "breaker: null")
    report = await run(text + "      breaker.state[6s..14s]: open\n", clock, tmp_path)
    (verdict,) = report.verdicts
    assert (verdict.passed, verdict.observed_text) == (False, "no data")


async def test_a_target_that_refuses_the_phases_is_an_error_of_the_step(clock, tmp_path):
    """Phases a target cannot apply: the step is an error naming the step, exit 2."""

    def refusing(faults=None):
        del faults
        raise UsageError("fault phases change how the embedded upstream answers")

    scenario = parse_scenario(DEMO + "      dropped: count == 0\n", "t.yaml")
    report = await run_scenario(
        scenario,
        source="t.yaml",
        clock=clock,
        store=JsonFileStore(tmp_path / "breaker.json", clock=clock),
        target_for=refusing,
        virtual_time=True,
    )
    assert report.status is RunStatus.ERROR
    (step,) = report.steps
    assert step.error == "step 'load': fault phases change how the embedded upstream answers"
    assert report.exit_code == 2

"""What a class sees in the small: log fields, times, the achieved rate, step counts, errors."""

import ast
import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from resilience_cli.cli import app, logs
from resilience_cli.measure import RunTally, summarize
from resilience_cli.patterns import (
    BreakerState,
    CallOutcome,
    OutcomeKind,
    Policies,
    Reason,
    Transition,
)
from resilience_cli.patterns.events import BreakerTransitioned
from resilience_cli.reporting import render_breaker, render_summary, summary_document
from resilience_cli.reporting.document import state_document
from resilience_cli.request import Request
from resilience_cli.run import CallResult, RunPlan, RunResult
from resilience_cli.scenarios.metrics import call_step_metrics
from resilience_cli.state.breaker import BreakerView

ROOT = Path(__file__).resolve().parents[2]
WALL = 1_767_225_642.626307
runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    return tmp_path


def render(renderable) -> str:
    file = io.StringIO()
    Console(file=file, width=100, color_system=None).print(renderable)
    return file.getvalue()


def log_line(**fields) -> str:
    record = {"timestamp": "2026-01-01T00:00:42.626312+00:00", "level": "info", "command": "delay"}
    return json.dumps(record | fields)


def test_logs_round_durations_show_units_and_hide_none():
    """`duration=2.000832642999967` reads `2.001 s`; `retry_after=None` is left out."""
    failed = logs.format_line(
        log_line(event="attempt.failed", attempt=1, reason="timeout", duration=2.000832642999967)
    ).plain
    assert "duration=2.001 s" in failed
    scheduled = logs.format_line(
        log_line(
            event="retry.scheduled", attempt=2, delay=0.2346, cause="timeout", retry_after=None
        )
    ).plain
    assert "delay=235 ms" in scheduled
    assert "retry_after" not in scheduled
    assert "None" not in scheduled
    waited = logs.format_line(log_line(event="rate_limit.waited", waited=0.01234)).plain
    assert "waited=12.3 ms" in waited
    other = logs.format_line(log_line(event="x.y", share=0.123456, done=True, items=[1, 2])).plain
    assert "share=0.123 done=true items=[1, 2]" in other
    requests = [
        {"name": "/get", "method": "GET", "path": "/get"},
        {"name": "create", "method": "POST", "path": "/anything", "headers": {"X-Key": "***"}},
    ]
    started = logs.format_line(log_line(event="run.started", requests=requests)).plain
    assert started.endswith("requests=GET /get, POST /anything")


def test_one_instant_reads_the_same_in_every_view():
    """The panel's `opened at`, its transition, `state --json` and `logs` share one format."""
    transition = Transition(BreakerState.CLOSED, BreakerState.OPEN, WALL, "so OPEN")
    view = BreakerView(BreakerState.OPEN, 5, WALL, 10.0)
    shown = "2026-01-01T00:00:42.626+00:00"
    panel = render(render_breaker(view, (transition,)))
    assert panel.count(shown) == 2
    document = state_document(view, (transition,), "breaker.json")
    assert document["opened_at"] == shown
    assert document["transitions"][0]["at"] == shown
    assert logs.format_line(log_line(event="breaker.opened")).plain.startswith(shown)


def tally(calls) -> RunTally:
    counted = RunTally()
    for each in calls:
        counted.add(each.request.label, each.outcome)
    return counted


def run_result(elapsed: float) -> RunResult:
    get = Request("/get")
    fell_back = CallOutcome(OutcomeKind.FALLBACK, None, Reason.BREAKER_OPEN, (), 0.0)
    view = BreakerView(BreakerState.OPEN, 5, WALL, 10.0)
    return RunResult(
        plan=RunPlan(calls=(get,) * 3, policies=Policies(), concurrency=1, seed=0),
        tally=tally(CallResult(get, 0.0, fell_back) for _ in range(3)),
        before=view,
        after=view,
        transitions=(),
        bulkhead=None,
        rate_limiter=None,
        peak_in_flight=1,
        elapsed=elapsed,
        interrupted=False,
        target="in-process",
    )


def test_no_elapsed_time_means_no_rate_not_a_rate_of_zero():
    """Calls that all fell back in no (virtual) time have no rate: `-`, null, and no data."""
    summary = summarize(run_result(0.0), "invoke")
    assert summary.achieved_rate is None
    assert re.search(r"achieved rate\s+-", render(render_summary(summary)))
    assert summary_document(summary)["rate"]["achieved_per_s"] is None
    assert "throughput" not in call_step_metrics(summary, run_result(0.0).tally)


def test_the_achieved_rate_is_calls_per_second_of_elapsed_time():
    """The same definition in real time: 3 calls in 0.5 s are 6 calls/s."""
    summary = summarize(run_result(0.5), "invoke")
    assert summary.achieved_rate == 6.0
    assert "6.0 calls/s" in render(render_summary(summary))


def test_validate_and_run_both_prefix_errors():
    """`validate adir` says `error: adir: ...` as `run adir` does."""
    Path("adir").mkdir()
    validated = runner.invoke(app, ["validate", "adir"])
    ran = runner.invoke(app, ["run", "adir"])
    assert validated.exit_code == ran.exit_code == 2
    assert validated.stderr == ran.stderr
    assert validated.stderr.startswith("error: adir: is a directory")


def test_an_unknown_name_lists_the_shipped_scenarios():
    """`run nosuch` names every shipped scenario."""
    result = runner.invoke(app, ["run", "nosuch"])
    assert result.exit_code == 2
    assert "error: nosuch: no such file" in result.stderr
    for name in ("tour", "ci-smoke", "circuit-breaker", "fallback", "timeout-retry"):
        assert name in result.stderr


def test_scenarios_and_validate_count_steps_alike():
    """Both say `12 steps + 1 finally` for the tour, in text and in JSON."""
    listed = runner.invoke(app, ["scenarios"]).stdout
    validated = runner.invoke(app, ["validate", "tour"]).stdout
    tour_row = next(line for line in listed.splitlines() if " tour " in line)
    assert "12 steps + 1 finally" in tour_row
    assert "(12 steps + 1 finally, 20 expectations)" in validated
    listed_json = json.loads(runner.invoke(app, ["scenarios", "--json"]).stdout)
    validated_json = json.loads(runner.invoke(app, ["validate", "tour", "--json"]).stdout)
    tour = next(row for row in listed_json["scenarios"] if row["name"] == "tour")
    checked = validated_json["files"][0]
    assert (tour["steps"], tour["finally"]) == (checked["steps"], checked["finally"]) == (12, 1)


def logged_event_names() -> set[str]:
    """Every event name the package can write to the log, read from its source."""
    names = {BreakerTransitioned("x", state.value, "").name for state in BreakerState}
    for path in (ROOT / "resilience_cli").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "name":
                value = node.value or ast.Constant(None)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"info", "warning", "error"}
                and node.args
            ):
                value = node.args[0]
            else:
                continue
            names |= {
                constant.value
                for constant in ast.walk(value)
                if isinstance(constant, ast.Constant)
                and isinstance(constant.value, str)
                and re.fullmatch(r"[a-z_]+\.[a-z_]+", constant.value)
            }
    return names


def test_the_readme_lists_every_logged_event():
    """Each event the code logs is named in the README's list (it lacked scenario.finished)."""
    readme = (ROOT / "README.md").read_text()
    names = logged_event_names()
    assert {"expectation.passed", "scenario.finished", "breaker.half_opened"} <= names
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing


@pytest.mark.parametrize(
    "line",
    [
        '{"event": "x", "duration": ' + "9" * 400 + "}",
        '{"event": "x", "n": ' + "9" * 5000 + "}",
        '{"event": "x", "timestamp": "2026-01-01T00:00:00", "delay": -1}',
        '{"event": "x", "timestamp": "yesterday", "waited": Infinity}',
    ],
)
def test_odd_log_lines_are_shown_not_fatal(line):
    """Huge integers, a bare timestamp or odd values never stop `logs`."""
    assert logs.format_line(line).plain

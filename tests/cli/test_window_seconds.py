"""`--window-seconds` and `breaker.window_duration`: the time-based window from the outside."""

import json

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.scenarios import Scenario

runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder: its own state file and log."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_STATE_URL", raising=False)
    return tmp_path


def test_a_time_window_opens_the_breaker_by_rate_within_its_seconds():
    """`error -n 12` with a 10 s window and no consecutive rule opens it by failure rate."""
    result = runner.invoke(
        app,
        [
            "error", "-n", "12", "--virtual-time", "--failure-threshold", "0",
            "--window-seconds", "10", "--min-calls", "4", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    transitions = json.loads(result.stdout)["breaker"]["transitions"]
    assert "in the last 10s, minimum 4 met" in transitions[0]["reason"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window-seconds", "0.5"], "must be whole seconds >= 1"),
        (["--window-seconds", "86401"], "at most 86,400 seconds"),
        (
            ["--window-seconds", "10", "--state", "redis://127.0.0.1:1/0"],
            "a time-based window runs only on a state file, not on a Redis store",
        ),
    ],
)
def test_a_bad_window_or_a_redis_store_is_one_line_and_exit_2(args, message):
    """A window of part of a second, too long, or on Redis: exit 2 and one error line."""
    virtual = [] if "--state" in args else ["--virtual-time"]  # Redis keeps its own time
    result = runner.invoke(app, ["error", "-n", "1", *virtual, *args])
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]


def test_the_scenario_key_sets_the_same_window():
    """`breaker.window_duration: 30s` in a file is the flag's `--window-seconds 30`."""
    loaded = Scenario.model_validate(
        {
            "version": 1,
            "title": "t",
            "steps": [{"error": {}, "policies": {"breaker": {"window_duration": "30s"}}}],
        }
    )
    breaker = loaded.resolved_policies(loaded.steps[0]).breaker
    assert breaker is not None
    assert breaker.window_duration == 30.0

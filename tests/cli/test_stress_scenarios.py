"""`resilience run` with a stress step: the shipped demo, its progress, phases refused elsewhere."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app

PHASED = """\
version: 1
title: phased
steps:
  - name: load
    stress: {duration: 2s, phases: ["1s:status=500"]}
"""


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("RESILIENCE_BASE_URL", "RESILIENCE_STATE_URL", "RESILIENCE_STATE_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.usefixtures("in_tmp")
def test_the_shipped_stress_demo_passes_in_virtual_time_with_a_line_per_second():
    """`run stress-demo --virtual-time`: every window holds; stderr shows one line a second."""
    result = CliRunner().invoke(app, ["run", "stress-demo", "--virtual-time", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (run,) = document["runs"]
    assert run["status"] == "passed"
    load = next(step for step in run["steps"] if step["kind"] == "stress")
    assert load["summary"]["calls"] == 500
    assert all(verdict["passed"] for verdict in load["expectations"])
    lines = [line for line in result.stderr.splitlines() if line.startswith("stress ")]
    assert len(lines) == 25
    assert lines[0].startswith("stress 1.0 s/25.0 s")


def test_phases_against_another_server_are_refused_before_any_call(in_tmp):
    """A stress step's phases with --base-url: one line, exit 2, and nothing logged as run."""
    (in_tmp / "phased.yaml").write_text(PHASED, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "phased.yaml", "--base-url", "http://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "error: phased.yaml: step 'load': fault phases change how the embedded" in result.output
    assert "Traceback" not in result.output
    assert not (in_tmp / "logs" / "app.log").exists()


@pytest.mark.usefixtures("in_tmp")
def test_a_stress_step_report_shows_its_breaker_timeline():
    """The step's report has the load and a timeline cell a second: closed, open, closed."""
    result = CliRunner().invoke(app, ["run", "stress-demo", "--virtual-time", "--view", "full"])
    assert result.exit_code == 0, result.output
    assert "500 in 25.0 s: 20.0/s (asked 20/s)" in result.stdout
    assert "CCCCCCOOOOOOOOOCCCCCCCCCC" in result.stdout
    assert "fault phases     6s:status=500@0.6 14s:healthy" in result.stdout

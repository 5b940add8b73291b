"""Every shipped scenario passes in real time, over loopback, as a class would run it.

Their virtual-time runs are in tests/scenarios/test_runner.py. Real time is where a
threshold that sits on a deadline fails (timers fire late, never early), and where a slow
machine changes what binds; so each scenario runs here once, all of them side by side in
their own folders, which keeps the test as long as the longest one (the tour, ~20 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from command_path import RESILIENCE

from resilience_cli.cli.scenario_cmds import shipped_names


@pytest.mark.slow
def test_every_shipped_scenario_passes_in_real_time(tmp_path):
    """`resilience run NAME` exits 0 with every expectation held, for each shipped name."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RESILIENCE_")}
    env["PYTHONIOENCODING"] = "utf-8"
    started = time.monotonic()
    running: dict[str, subprocess.Popen[bytes]] = {}
    for name in shipped_names():
        folder = tmp_path / name
        folder.mkdir()
        running[name] = subprocess.Popen(
            [RESILIENCE, "run", name, "--json"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    problems: dict[str, object] = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=100)
        if process.returncode != 0:
            document = json.loads(stdout or b"{}")
            problems[name] = [
                f"{step['name']}: {verdict['metric']} {verdict['threshold']}"
                f" ({verdict['observed_text']}; {_numbers(step)})"
                for run in document.get("runs", [])
                for step in run["steps"]
                for verdict in step["expectations"]
                if not verdict["passed"]
            ] or stderr.decode(errors="replace")
    assert problems == {}
    assert len(running) == 8
    assert time.monotonic() - started < 60


def _numbers(step: dict[str, object]) -> str:
    """What a failed step did, enough to tell a slow machine from a broken pattern."""
    summary = step.get("summary")
    if not isinstance(summary, dict):
        return f"elapsed {step.get('elapsed_s')} s"
    keys = ("calls", "succeeded", "fallbacks", "attempts", "latency_ms", "rate", "elapsed_s")
    return ", ".join(f"{key}={summary.get(key)}" for key in keys)

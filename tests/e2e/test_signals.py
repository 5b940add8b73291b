"""SIGTERM and SIGHUP on the installed command, over loopback: nothing that happened is lost."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from command_path import RESILIENCE
from platforms import NO_SIGNALS_TO_A_CHILD

pytestmark = NO_SIGNALS_TO_A_CHILD

# One call at a time, each cut at 0.1 s by its attempt timeout, no retry, no breaker trip:
# a long, steady stream of recorded failures.
SLOW_FAILURES = [
    "delay",
    "-n",
    "200",
    "-c",
    "1",
    "--seconds",
    "1",
    "--timeout",
    "0.1",
    "--attempts",
    "1",
    "--failure-threshold",
    "0",
    "--failure-rate",
    "0",
    "--rate",
    "0",
]
STOPS = [
    pytest.param(signal.SIGTERM, 143, id="SIGTERM"),
    pytest.param(getattr(signal, "SIGHUP", signal.SIGTERM), 129, id="SIGHUP"),
]


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESILIENCE_")}
    return subprocess.Popen(
        [RESILIENCE, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_failures(log: Path, count: int, process: subprocess.Popen[str]) -> None:
    """Wait until the decision log shows `count` failed attempts (not for a fixed time).

    Repeats within a second are one line with their `count`, written when the second ends.
    """
    deadline = time.monotonic() + 60
    while True:
        text = log.read_text() if log.exists() else ""
        entries = [json.loads(line) for line in text.splitlines() if line.endswith("}")]
        failed = [entry for entry in entries if entry["event"] == "attempt.failed"]
        if sum(int(entry.get("count", 1)) for entry in failed) >= count:
            return
        assert process.poll() is None, "the run ended before it was stopped"
        assert time.monotonic() < deadline, "the failures never came"
        time.sleep(0.02)


@pytest.mark.parametrize(("sig", "code"), STOPS)
def test_a_stop_signal_saves_every_recorded_failure(tmp_path, sig, code):
    """Stopped after 3 failures: exit 143/129, a partial summary, and the failures in the file."""
    with start([*SLOW_FAILURES, "--json"], tmp_path) as run:
        wait_for_failures(tmp_path / "logs" / "app.log", 3, run)
        run.send_signal(sig)
        stdout, stderr = run.communicate(timeout=30)

    assert run.returncode == code, stderr
    assert "Traceback" not in stderr
    document = json.loads(stdout)
    assert document["interrupted"] is True
    failed = document["attempts"]["failed"]["timeout"]
    assert failed >= 3
    assert document["calls"] + document["cut_short"] <= 200
    breaker = json.loads((tmp_path / ".resilience" / "breaker.json").read_text())["breaker"]
    assert breaker["fail_count"] == failed
    assert breaker["window"] == "x" * min(failed, 20)


@pytest.mark.parametrize(("sig", "code"), STOPS)
def test_a_stopped_scenario_runs_finally_and_saves(tmp_path, sig, code):
    """A scenario stopped mid-step runs `finally`, saves, exits 143/129, and its JSON says so."""
    (tmp_path / "long.yaml").write_text(
        "version: 1\ntitle: long\nsteps:\n"
        "  - delay: {count: 200, seconds: 1, concurrency: 1}\n"
        "    policies:\n"
        "      timeout: {attempt: 100ms}\n"
        "      retry: {attempts: 1}\n"
        "      rate_limiter: null\n"
        "      breaker: {failure_threshold: null, failure_rate_threshold: null}\n"
        "finally:\n  - force-open: {reason: finally ran}\n"
    )
    with start(["run", "long.yaml", "--json"], tmp_path) as run:
        wait_for_failures(tmp_path / "logs" / "app.log", 3, run)
        run.send_signal(sig)
        stdout, stderr = run.communicate(timeout=30)

    assert run.returncode == code, stderr
    document = json.loads(stdout)
    assert document["runs"][0]["status"] == "interrupted"
    assert (document["exit_code"], document["runs"][0]["exit_code"]) == (code, code)
    breaker = json.loads((tmp_path / ".resilience" / "breaker.json").read_text())["breaker"]
    assert breaker["state"] == "forced_open"
    assert breaker["fail_count"] >= 3


def test_a_stopped_scenario_says_interrupted_once_in_its_verdict(tmp_path):
    """On a terminal report the verdict line says it all; stderr does not say it again."""
    (tmp_path / "long.yaml").write_text(
        "version: 1\ntitle: long\nsteps:\n"
        "  - delay: {count: 200, seconds: 1, concurrency: 1}\n"
        "    policies:\n"
        "      timeout: {attempt: 100ms}\n"
        "      retry: {attempts: 1}\n"
        "      rate_limiter: null\n"
        "      breaker: {failure_threshold: null, failure_rate_threshold: null}\n"
        "finally:\n  - reset: {}\n"
    )
    with start(["run", "long.yaml"], tmp_path) as run:
        wait_for_failures(tmp_path / "logs" / "app.log", 3, run)
        run.send_signal(signal.SIGTERM)
        stdout, stderr = run.communicate(timeout=30)

    assert run.returncode == 143, stderr
    verdicts = [line for line in stdout.splitlines() if line.startswith("INTERRUPTED")]
    assert len(verdicts) == 1
    assert verdicts[0].endswith("; finally ran, state saved")
    assert "interrupted" not in stderr.lower()


def test_upstream_serve_stops_cleanly_on_sigterm(tmp_path):
    """`upstream serve` says it stopped and exits 143 on SIGTERM (`docker stop`)."""
    with start(["upstream", "serve", "--port", "0"], tmp_path) as server:
        assert server.stderr is not None
        ready = server.stderr.readline()
        assert re.search(r"http://127\.0\.0\.1:\d+", ready), ready
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=20)

    assert server.returncode == 143
    assert stderr.strip() == "stopped"

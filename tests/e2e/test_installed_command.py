"""End to end: the installed `resilience` command, run as a user runs it, over loopback."""

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from command_path import RESILIENCE
from platforms import NO_SIGNALS_TO_A_CHILD

FAST = ["--backoff", "0.01", "--backoff-cap", "0.01"]


def resilience(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESILIENCE_")}
    return subprocess.run(
        [RESILIENCE, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop(process: subprocess.Popen[str]) -> None:
    """Kill `process` if it still runs, so that leaving `with Popen` never waits forever."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


def first_line(stream, seconds: float) -> str:
    """The first line of `stream`, or an assertion error after `seconds` of silence."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=seconds)
    except queue.Empty:
        raise AssertionError(f"no line within {seconds} s") from None


def test_the_classroom_walkthrough_over_loopback(tmp_path):
    """`error -n 20` opens the breaker; `state` shows it; `invoke -n 5` then falls back."""
    opened = resilience("error", "-n", "20", "--json", *FAST, cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    document = json.loads(opened.stdout)
    assert document["target"].startswith("embedded http://127.0.0.1:")
    assert document["breaker"]["after"]["state"] == "open"

    state = json.loads(resilience("state", "--json", cwd=tmp_path).stdout)
    assert state["state"] == "open"
    assert state["opened_at"] is not None

    started = time.perf_counter()
    after = json.loads(resilience("invoke", "-n", "5", "--json", cwd=tmp_path).stdout)
    assert after["fallbacks"] == {"breaker_open": 5}
    assert after["target"] == "embedded"  # never started: nothing reached the network
    assert time.perf_counter() - started < 10

    assert json.loads(resilience("reset", "--json", cwd=tmp_path).stdout)["state"] == "closed"
    log = (tmp_path / "logs" / "app.log").read_text().splitlines()
    assert any(json.loads(line)["event"] == "breaker.opened" for line in log)


@NO_SIGNALS_TO_A_CHILD
def test_upstream_serve_then_invoke_against_it(tmp_path):
    """`upstream serve --port 0` serves on loopback; `invoke --base-url` reaches it."""
    with subprocess.Popen(
        [RESILIENCE, "upstream", "serve", "--port", "0"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            assert server.stderr is not None
            ready = first_line(server.stderr, 30)
            match = re.search(r"http://127\.0\.0\.1:\d+", ready)
            assert match, ready
            url = match.group(0)
            result = resilience(
                "invoke", "-n", "10", "--mix", "/get:1", "--base-url", url, "--json", cwd=tmp_path
            )
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["succeeded"] == 10
            checked = resilience("upstream", "check", "--base-url", url, cwd=tmp_path)
            assert checked.returncode == 0
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=10) == 130
        finally:
            stop(server)


def test_concurrent_processes_lose_no_breaker_update(tmp_path):
    """Four runs at once on one state file: every failure is counted, the file always parses."""
    state = tmp_path / "shared.json"
    args = [
        RESILIENCE,
        "error",
        "-n",
        "3",
        "--attempts",
        "1",
        "--failure-threshold",
        "0",
        "--failure-rate",
        "0",
        "--rate",
        "0",
        "--state-file",
        str(state),
        "--json",
    ]
    runs = [
        subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(4)
    ]
    try:
        deadline = time.monotonic() + 60
        while any(run.poll() is None for run in runs):
            assert time.monotonic() < deadline, "the runs did not finish in 60 s"
            if state.exists():
                json.loads(state.read_text())  # never a torn or partial file
            time.sleep(0.005)
        assert [run.wait(timeout=30) for run in runs] == [0, 0, 0, 0]
    finally:
        for run in runs:
            stop(run)
    final = json.loads(state.read_text())["breaker"]
    assert final["fail_count"] == 12
    assert final["window"] == "x" * 12


@NO_SIGNALS_TO_A_CHILD
def test_ctrl_c_saves_the_state_prints_the_partial_summary_and_exits_130(tmp_path):
    """SIGINT mid-run: exit 130, a JSON summary marked interrupted, a valid state file."""
    command = [RESILIENCE, "delay", "-n", "4", "--seconds", "8", "--timeout", "20", "--json"]
    with subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        try:
            stdout, stderr = interrupt_once_started(run, tmp_path / "logs" / "app.log")
        finally:
            stop(run)
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr
    document = json.loads(stdout)
    assert document["interrupted"] is True
    assert document["calls"] < 4
    state = json.loads((tmp_path / ".resilience" / "breaker.json").read_text())
    assert state["breaker"]["state"] == "closed"


def interrupt_once_started(run: subprocess.Popen[str], log: Path) -> tuple[str, str]:
    """Wait for the run to log run.started, let it get going, then press Ctrl-C."""
    deadline = time.monotonic() + 20
    while not (log.exists() and "run.started" in log.read_text()):
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    time.sleep(0.5)
    run.send_signal(signal.SIGINT)
    return run.communicate(timeout=20)


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("state", "--help")])
def test_help_and_version_work_installed(tmp_path, args):
    """The installed command answers --version and --help with exit 0."""
    result = resilience(*args, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout


def test_the_ci_smoke_scenario_passes_in_real_time_in_under_30_s(tmp_path):
    """`resilience run scenarios/ci-smoke.yaml` in real time: exit 0, well within 30 s."""
    smoke = Path(__file__).resolve().parents[2] / "scenarios" / "ci-smoke.yaml"
    started = time.perf_counter()
    result = resilience("run", str(smoke), "--junit", "junit.xml", cwd=tmp_path)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert elapsed < 30
    assert "PASSED" in result.stdout
    assert (tmp_path / "junit.xml").exists()


@NO_SIGNALS_TO_A_CHILD
def test_ctrl_c_during_a_scenario_runs_finally_and_exits_130(tmp_path):
    """SIGINT during a scenario's pause: `finally` still resets the breaker; exit 130."""
    (tmp_path / "long.yaml").write_text(
        "version: 1\ntitle: long\nsteps:\n  - force-open: {}\n  - pause: 60s\n"
        "finally:\n  - reset: {}\n"
    )
    with subprocess.Popen(
        [RESILIENCE, "run", "long.yaml", "--json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as run:
        try:
            log = tmp_path / "logs" / "app.log"
            deadline = time.monotonic() + 20
            while not (log.exists() and "breaker.forced_open" in log.read_text()):
                assert time.monotonic() < deadline, "the scenario never started"
                time.sleep(0.05)
            time.sleep(0.3)
            run.send_signal(signal.SIGINT)
            stdout, stderr = run.communicate(timeout=20)
        finally:
            stop(run)
    assert run.returncode == 130, stderr
    document = json.loads(stdout)
    assert document["runs"][0]["status"] == "interrupted"
    state = json.loads((tmp_path / ".resilience" / "breaker.json").read_text())
    assert state["breaker"]["state"] == "closed"

"""The shipped scenarios and the walkthrough against the real httpbin, and through the proxy.

The reference httpbin (PyPI `httpbin` under waitress) runs on a free loopback port; the
installed `resilience` is pointed at it with `--base-url`, and at `resilience upstream
proxy` standing in front of it. Scenarios that call an endpoint httpbin lacks are
refused before any call, naming it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from command_path import RESILIENCE

PASSING = ("circuit-breaker", "timeout-retry", "bulkhead-rate-limit")
REFUSED = {"ci-smoke": "/unstable", "fallback": "/retry-after"}
FAULTS_FILE = Path(__file__).parents[1] / "scenarios" / "faults_scenario.yaml"


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RESILIENCE_")}
    return env | {"PYTHONIOENCODING": "utf-8"}


def run(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    folder.mkdir(exist_ok=True)
    return subprocess.Popen(
        [RESILIENCE, *args],
        cwd=folder,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_the_shipped_scenarios_pass_against_the_real_httpbin(
    httpbin_url, proxied_httpbin, tmp_path
):
    """Each scenario httpbin can serve passes with --base-url at it; the tour through the proxy.

    And a file whose `target:` starts a proxy puts it in front of httpbin, faults and all,
    whether the file names httpbin or `--base-url` does.
    """
    proxy_url, _ = proxied_httpbin
    running = {
        name: run(tmp_path / name, "run", name, "--json", "--base-url", httpbin_url)
        for name in PASSING
    }
    running["tour"] = run(tmp_path / "tour", "run", "tour", "--json", "--base-url", proxy_url)
    # A scenario that starts its own proxy in front of httpbin, and changes its faults.
    running["faults"] = run(
        tmp_path / "faults", "run", str(FAULTS_FILE), "--json", "--base-url", httpbin_url
    )
    # The same, its proxy naming httpbin in the file itself.
    named = tmp_path / "named" / "named.yaml"
    named.parent.mkdir()
    named.write_text(
        FAULTS_FILE.read_text().replace(
            "target: {proxy: embedded}", f"target: {{proxy: '{httpbin_url}'}}"
        )
    )
    running["named"] = run(named.parent, "run", str(named), "--json")
    problems = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=100)
        if process.returncode != 0:
            document = json.loads(stdout or b"{}")
            failed = [
                f"{step['name']}: {verdict['metric']} {verdict['threshold']}"
                for run_ in document.get("runs", [])
                for step in run_["steps"]
                for verdict in step["expectations"]
                if not verdict["passed"]
            ]
            problems[name] = failed or stderr.decode()
    assert not problems


@pytest.mark.parametrize(("name", "endpoint"), sorted(REFUSED.items()))
def test_a_scenario_needing_an_endpoint_httpbin_lacks_is_refused_before_any_call(
    httpbin_url, tmp_path, name, endpoint
):
    """ci-smoke (/unstable) and fallback (/retry-after): exit 2, one line naming it, no call."""
    process = run(tmp_path, "run", name, "--base-url", httpbin_url)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, stderr
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert f"has no {endpoint} (only the embedded upstream does" in lines[0]
    assert stdout == b""
    assert not (tmp_path / ".resilience").exists()
    assert not (tmp_path / "logs").exists()


def test_the_same_scenario_runs_against_the_served_embedded_upstream(loopback_upstream, tmp_path):
    """`upstream serve` has /unstable and /retry-after: its /health says so; nothing is refused."""
    process = run(tmp_path, "run", "ci-smoke", "--base-url", loopback_upstream, "--json")
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert json.loads(stdout)["exit_code"] == 0


def test_the_proxy_in_front_of_httpbin_injects_faults_the_patterns_meet(proxied_httpbin, tmp_path):
    """Healthy, calls succeed through the proxy; `upstream faults --error 503` opens the breaker."""
    proxy_url, control = proxied_httpbin
    healthy = run(tmp_path, "invoke", "-n", "10", "--mix", "/anything:1", "--method", "POST",
                  "--data-json", '{"a": 1}', "--base-url", proxy_url, "--json")  # fmt: skip
    assert json.loads(healthy.communicate(timeout=60)[0])["succeeded"] == 10
    switch = run(tmp_path, "upstream", "faults", "--control", control, "--error", "503")
    assert switch.communicate(timeout=30)[0].decode().startswith("faults: status 503")
    faulty = run(
        tmp_path, "error", "-n", "20", "--status", "200", "--base-url", proxy_url, "--json"
    )
    document = json.loads(faulty.communicate(timeout=60)[0])
    assert document["breaker"]["after"]["state"] == "open"
    assert document["attempts"]["failed"]["http_5xx"] >= 5

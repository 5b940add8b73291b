import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.proxy import FaultProfile
from resilience_cli.scenarios.loader import parse_scenario

runner = CliRunner()
FILE = (Path(__file__).parent / "faults_scenario.yaml").read_text()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """A fresh folder for each run: its own state file and log."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    return tmp_path


def test_faults_steps_drive_the_proxy_in_virtual_time(in_tmp):
    """503s open the breaker, healed it closes, latency and black holes time out, resets fail."""
    (in_tmp / "f.yaml").write_text(FILE)
    result = runner.invoke(app, ["run", "f.yaml", "--virtual-time", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    steps = {step["name"]: step for step in document["runs"][0]["steps"]}
    assert steps["the proxy fails every call"]["summary"]["target"] == "proxy -> in-process"
    assert all(step["status"] == "passed" for step in steps.values())
    log = (in_tmp / "logs" / "app.log").read_text()
    assert '"faults": "status 503"' in log
    assert '"event": "faults.changed"' in log


def test_the_same_seed_gives_the_same_run(in_tmp):
    """Seeded fates: two virtual-time runs of a file with faults at 50 % agree call for call."""
    text = FILE.replace("faults: {status: 503}", "faults: {status: 503, status_rate: 0.5}")
    (in_tmp / "f.yaml").write_text(text)
    runs = [
        json.loads(runner.invoke(app, ["run", "f.yaml", "--virtual-time", "--json"]).stdout)
        for _ in range(2)
    ]
    first, second = ([step["summary"] for step in run["runs"][0]["steps"]] for run in runs)
    assert [s and s["fallbacks"] for s in first] == [s and s["fallbacks"] for s in second]


def test_a_proxy_target_reads_its_initial_faults():
    """`target: {proxy: ..., faults: ...}` starts the proxy with those faults."""
    text = FILE.replace(
        "target: {proxy: embedded}",
        "target: {proxy: 'http://127.0.0.1:9', faults: {latency: 200ms, jitter: 50ms}}",
    )
    scenario = parse_scenario(text, "f.yaml")
    assert scenario.proxied is not None
    assert scenario.proxied.faults.profile() == FaultProfile(latency=0.2, jitter=0.05)
    assert scenario.target_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("target: {proxy: embedded}", "target: embedded", "a faults step changes the scenario's"),
        ("target: {proxy: embedded}", "target: {proxy: 'https://x.test'}", "forwards plain http"),
        ("faults: {status: 503}", "faults: {status: 700}", "must be <= 599"),
        ("faults: {status: 503}", "faults: {sttus: 503}", "unknown key 'sttus'"),
        ("faults: {reset_rate: 1}", "faults: {reset_rate: 2}", "must be <= 1"),
        ("faults: {latency: 3s}", "faults: {latency: -1s}", "latency"),
    ],
)
def test_bad_faults_are_located_problems(in_tmp, old, new, problem):
    """A faults step without a proxy, or a fault out of range, is exit 2 at its line."""
    assert old in FILE
    (in_tmp / "f.yaml").write_text(FILE.replace(old, new, 1))
    result = runner.invoke(app, ["validate", "f.yaml"])
    assert result.exit_code == 2, result.output
    assert problem in result.stderr

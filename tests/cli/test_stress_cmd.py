"""`resilience stress` from the command line: flags, progress lines, the report, the JSON."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app

DEMO = [
    "--duration",
    "30s",
    "--phase",
    "8s:status=500@0.6",
    "--phase",
    "18s:healthy",
    "--open-for",
    "3",
    "--virtual-time",
]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    return tmp_path


def stress(*args: str):
    return CliRunner().invoke(app, ["stress", *args])


@pytest.mark.usefixtures("in_tmp")
def test_the_json_carries_the_series_and_the_breaker_opens_then_closes():
    """Healthy, degraded, healed: the series says CLOSED, then OPEN, then CLOSED again."""
    result = stress(*DEMO, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["schema"], document["command"]) == ("resilience-cli/run", "stress")
    run = document["stress"]
    assert (run["arrivals"], run["dropped"], run["duration_s"]) == (600, 0, 30)
    assert run["phases"] == "8s:status=500@0.6 18s:healthy"
    series = run["series"]
    assert len(series) == 30
    assert [row["arrivals"] for row in series] == [20] * 30
    states = [row["breaker"] for row in series]
    assert set(states[:8]) == {"closed"}
    assert "open" in states[8:18]
    assert states[-1] == "closed"
    assert any(t["to"] == "open" and 8 <= t["at_s"] < 10 for t in run["transitions"])
    assert document["calls"] == 600
    assert document["breaker"]["after"]["state"] == "closed"
    assert set(series[0]) >= {"ok", "recovered", "fallbacks", "latency_ms", "bulkhead"}


@pytest.mark.usefixtures("in_tmp")
def test_off_a_terminal_each_interval_is_one_progress_line():
    """Piped, stderr gets one plain line per interval: rate, outcomes, latency, patterns."""
    result = stress("--duration", "5", "--virtual-time", "--json")
    lines = [line for line in result.stderr.splitlines() if line.startswith("stress ")]
    assert len(lines) == 5
    assert lines[0].startswith("stress 1.0 s/5.0 s  arrivals 20.0/s (target 20/s)  ok 20")
    assert "breaker CLOSED" in lines[0]
    assert "bulkhead 0 in use, 0 queued" in lines[0]


@pytest.mark.usefixtures("in_tmp")
def test_the_report_shows_the_load_the_timeline_and_every_interval():
    """Without --json: the summary, then the load, the timeline and the series table."""
    result = stress(*DEMO, "--view", "full")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "resilience stress: 600 of 600 calls" in out
    assert "Stress over time" in out
    assert "600 in 30.0 s: 20.0/s (asked 20/s)" in out
    assert "    0.0 s  CCCCCCCCOOOOOOOOOOOOCCCCCCCCCC" in out
    assert "CLOSED → OPEN" in out
    assert "Every 1 s" in out


def test_the_same_seed_gives_the_same_run(in_tmp):
    """Two virtual-time runs with one seed: the same JSON, times and ids aside."""

    def run():
        document = json.loads(stress(*DEMO, "--json", "--state-file", "x.json").stdout)
        (in_tmp / "x.json").unlink()
        return document["stress"], document["calls"], document["fallbacks"]

    assert run() == run()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stages", "10s:50", "--duration", "5s"], "--stages set the duration themselves"),
        (["--stages", "10s"], "--stages: '10s' must be DURATION:RATE"),
        (["--duration", "2d"], "--duration: the duration must be like 10s"),
        (["--duration", "0"], "--duration: the duration must be above 0"),
        (["--arrival-rate", "100000", "--duration", "1001s"], "at most 100,000,000"),
        (["--duration", "86400", "--interval", "0.5"], "would make 172,800 rows"),
        (["--phase", "5s:status=99"], "--phase: status '99' must be a code"),
        (["--phase", "5s:healthy", "--base-url", "http://127.0.0.1:1"], "drop --base-url"),
        (["--export", "out.png"], "--export out.png: the name must end in .svg"),
        (["--mix", "get"], "--mix: 'get' must be /path:weight"),
        (["--max-in-flight", "0"], "'--max-in-flight'"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(in_tmp, args, message):
    """Each mistake is one `error:` line naming the flag; nothing runs, nothing is written."""
    result = stress(*args, "--virtual-time")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (in_tmp / ".resilience").exists()


def test_export_saves_the_final_dashboard(in_tmp):
    """`--export stress.txt`: the last frame of the dashboard, as text."""
    result = stress("--duration", "3", "--virtual-time", "--export", "stress.txt")
    assert result.exit_code == 0, result.output
    text = (in_tmp / "stress.txt").read_text(encoding="utf-8")
    assert text.startswith("resilience stress  3.0 s of 3.0 s")
    assert "timeline  CCC" in text
    assert "wrote the final dashboard to stress.txt" in result.stderr


@pytest.mark.usefixtures("in_tmp")
def test_stages_ramp_the_load():
    """`--stages 2s:10,2s:30`: 10 then 40 arrivals, the rate rising within each stage."""
    result = stress("--stages", "2s:10,2s:30", "--virtual-time", "--json")
    series = json.loads(result.stdout)["stress"]["series"]
    assert sum(row["arrivals"] for row in series) == 50
    # The integral of the rate: 2.5 t² to 2 s, then 10 + 10 t + 5 t² (t from 2 s); the
    # arrival due at exactly 2 s opens the third second, not the second.
    assert [row["arrivals"] for row in series[:4]] == [3, 7, 15, 25]

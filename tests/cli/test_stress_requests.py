"""`stress` speaks as the call commands do: requests, `--fail-on`, `--record`, a Redis store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app

SHORT = ["--duration", "2s", "--arrival-rate", "10", "--virtual-time"]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("RESILIENCE_BASE_URL", "RESILIENCE_STATE_URL", "RESILIENCE_STATE_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def resilience(*args: str):
    return CliRunner().invoke(app, list(args))


def trace_lines(path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.usefixtures("in_tmp")
def test_fail_on_decides_what_fails_under_stress():
    """404s succeed by default; with --fail-on 4xx they fail, and five in a row open the breaker."""
    plain = resilience("stress", *SHORT, "--mix", "/status/404:1", "--json")
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["fallbacks"] == {}
    strict = resilience("stress", *SHORT, "--mix", "/status/404:1", "--fail-on", "4xx", "--json")
    assert strict.exit_code == 0, strict.output
    document = json.loads(strict.stdout)
    assert document["calls"] == 20
    assert document["fallbacks"] == {"unexpected_status": 5, "breaker_open": 15}


@pytest.mark.usefixtures("in_tmp")
def test_a_bad_fail_on_is_one_usage_line():
    """--fail-on 6xx is refused before any arrival, exit 2, naming the flag."""
    result = resilience("stress", *SHORT, "--fail-on", "6xx")
    assert result.exit_code == 2
    assert "error: --fail-on" in result.output
    assert "Traceback" not in result.output


def test_stress_records_a_trace_that_compare_replays(in_tmp):
    """--record under stress writes each arrival as sent (POST, the mix) and compare reads it."""
    trace = in_tmp / "stress.jsonl"
    result = resilience(
        "stress",
        *SHORT,
        "--mix",
        "/anything:1",
        "--method",
        "POST",
        "--data-json",
        '{"item": "book"}',
        "--record",
        str(trace),
        "--json",
    )
    assert result.exit_code == 0, result.output
    lines = trace_lines(trace)
    assert lines[0] == {"format": "resilience-trace", "version": 1, "source": "stress"}
    arrivals = [line for line in lines if line.get("event") == "arrival"]
    answers = [line for line in lines if line.get("event") == "answer"]
    assert len(arrivals) == 20
    assert {line["request"] for line in arrivals} == {"POST /anything"}
    assert {line["status"] for line in answers} == {200}
    compared = resilience("compare", str(trace), "--json")
    assert compared.exit_code == 0, compared.output
    replayed = json.loads(compared.stdout)
    assert (replayed["trace"]["source"], replayed["trace"]["calls"]) == ("stress", 20)
    assert all(preset["calls"] == 20 for preset in replayed["presets"].values())


def test_dropped_arrivals_are_in_the_trace(in_tmp):
    """Arrivals dropped at --max-in-flight are recorded too: the load a replay must face."""
    trace = in_tmp / "dropped.jsonl"
    result = resilience(
        "stress",
        *SHORT,
        "--mix",
        "/delay/5:1",
        "--max-in-flight",
        "3",
        "--timeout",
        "0",
        "--deadline",
        "0",
        "--record",
        str(trace),
        "--json",
    )
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["stress"]
    assert run["dropped"] > 0
    arrivals = [line for line in trace_lines(trace) if line.get("event") == "arrival"]
    assert len(arrivals) == run["arrivals"] == 20


@pytest.mark.usefixtures("in_tmp")
def test_request_flags_are_checked_as_invoke_checks_them():
    """An unset ${VAR} in a header is one usage line under stress, as under invoke."""
    result = resilience("stress", *SHORT, "-H", "Authorization: Bearer ${NO_SUCH_TOKEN_SET}")
    assert result.exit_code == 2
    assert "NO_SUCH_TOKEN_SET" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("in_tmp")
def test_a_redis_store_is_refused_with_virtual_time():
    """--state redis:// with --virtual-time: one line, exit 2, as for the call commands."""
    result = resilience("stress", *SHORT, "--state", "redis://127.0.0.1:1/0")
    assert result.exit_code == 2
    assert "--virtual-time" in result.output


@pytest.mark.linux_service("redis-server")
@pytest.mark.real_time
@pytest.mark.usefixtures("in_tmp")
def test_stress_shares_the_breaker_on_redis(redis_server):
    """Failing arrivals open the breaker on Redis; `state` on the same store then says OPEN."""
    url = redis_server.url
    result = resilience(
        "stress",
        "--duration",
        "1s",
        "--arrival-rate",
        "20",
        "--mix",
        "/status/500:1",
        "--failure-threshold",
        "3",
        "--open-for",
        "60",
        "--state",
        url,
        "--breaker",
        "stressed",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["breaker"]["after"]["state"] == "open"
    assert document["fallbacks"]["breaker_open"] > 0
    assert any(row["breaker"] == "open" for row in document["stress"]["series"])
    state = resilience("state", "--state", url, "--breaker", "stressed", "--json")
    assert state.exit_code == 0, state.output
    assert json.loads(state.stdout)["state"] == "open"

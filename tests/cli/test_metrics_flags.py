"""`--metrics-file` and `--metrics-port` on the call commands and `stress`."""

from __future__ import annotations

import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from resilience_cli.cli import app


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    return tmp_path


def families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Each family's samples as (labels, value), read by prometheus_client's parser."""
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(text)
    }


def test_a_call_command_writes_its_final_metrics_to_a_textfile(in_tmp):
    """`error -n 20 --metrics-file out.prom`: the breaker open, every call counted."""
    result = CliRunner().invoke(
        app, ["error", "-n", "20", "--virtual-time", "--metrics-file", "out.prom"]
    )
    assert result.exit_code == 0, result.output
    parsed = families((in_tmp / "out.prom").read_text(encoding="utf-8"))
    state = {
        labels["state"]: value for labels, value in parsed["resilience4j_circuitbreaker_state"]
    }
    assert state["open"] == 1
    durations = {
        labels["le"]: value
        for labels, value in parsed["resilience_call_duration_seconds"]
        if "le" in labels
    }
    assert durations["+Inf"] == 20
    retries = {labels["kind"]: value for labels, value in parsed["resilience4j_retry_calls"]}
    assert sum(retries.values()) == 20


def test_a_stress_run_counts_its_dropped_arrivals(in_tmp):
    """`stress --max-in-flight 1` against slow calls: the drops are in the textfile."""
    result = CliRunner().invoke(
        app,
        [
            "stress",
            "--duration",
            "2",
            "--arrival-rate",
            "10",
            "--mix",
            "/delay/1:1",
            "--max-in-flight",
            "1",
            "--virtual-time",
            "--json",
            "--metrics-file",
            "out.prom",
        ],
    )
    assert result.exit_code == 0, result.output
    parsed = families((in_tmp / "out.prom").read_text(encoding="utf-8"))
    [(_, dropped)] = parsed["resilience_stress_dropped_arrivals"]
    assert dropped == 18  # 20 arrivals, one call in flight at a time, each 1 s


@pytest.mark.usefixtures("in_tmp")
def test_a_port_in_use_is_one_line_and_exit_2():
    """A taken port: `error: --metrics-port N: cannot listen ...`, exit 2, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["invoke", "-n", "1", "--virtual-time", "--metrics-port", str(port)]
        )
    assert result.exit_code == 2, result.output
    assert f"--metrics-port {port}: cannot listen on 127.0.0.1" in result.output
    assert "Traceback" not in result.output


def test_a_metrics_file_that_cannot_be_written_is_one_line(in_tmp):
    """`--metrics-file` into a folder that is a file: one error line, exit 2, before any call."""
    (in_tmp / "file").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["invoke", "-n", "1", "--virtual-time", "--metrics-file", "file/out.prom"]
    )
    assert result.exit_code == 2, result.output
    assert "--metrics-file file/out.prom: a file is in the way" in result.output
    assert not (in_tmp / ".resilience").exists()


def test_a_scenario_run_counts_the_calls_of_every_step(in_tmp):
    """`run circuit-breaker --metrics-file`: every call step's calls, the breaker as it ended."""
    result = CliRunner().invoke(
        app, ["run", "circuit-breaker", "--virtual-time", "--metrics-file", "out.prom"]
    )
    assert result.exit_code == 0, result.output
    parsed = families((in_tmp / "out.prom").read_text(encoding="utf-8"))
    retries = {labels["kind"]: value for labels, value in parsed["resilience4j_retry_calls"]}
    assert sum(retries.values()) == 10 + 20 + 5 + 5  # the four call steps of the file
    state = {
        labels["state"]: value for labels, value in parsed["resilience4j_circuitbreaker_state"]
    }
    assert state["closed"] == 1

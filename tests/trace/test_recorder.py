"""`--record`: a trace of arrivals and upstream answers, streamed, bounded, without secrets."""

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.trace import (
    Answer,
    AnswerKind,
    Arrival,
    Exchange,
    Trace,
    TraceMemory,
    TraceWriter,
    read_trace,
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder: its own state file and log."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_STATE_URL", raising=False)
    return tmp_path


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_the_writer_streams_versioned_lines_in_seconds_since_its_origin():
    """Times count from the origin, to the microsecond; each answer says what came back."""
    file = io.StringIO()
    writer = TraceWriter(file, origin=100.0)
    writer.arrived(100.25, "GET", "/status/500")
    writer.answered(100.25, "GET", "/status/500", Answer(AnswerKind.STATUS, 0.0012345678, 500))
    writer.answered(101.0, "GET", "/delay/3", Answer(AnswerKind.TIMEOUT, 2.0))
    assert [json.loads(line) for line in file.getvalue().splitlines()] == [
        {"at": 0.25, "event": "arrival", "request": "GET /status/500"},
        {
            "at": 0.25,
            "event": "answer",
            "request": "GET /status/500",
            "status": 500,
            "latency": 0.001235,
        },
        {
            "at": 1.0,
            "event": "answer",
            "request": "GET /delay/3",
            "error": "timeout",
            "latency": 2.0,
        },
    ]


def test_a_secret_in_a_path_is_never_written():
    """A query value named like a key is masked in the trace, as everywhere else."""
    file = io.StringIO()
    TraceWriter(file, origin=0.0).arrived(0.0, "GET", "/get?api_key=hunter2&page=2")
    assert "hunter2" not in file.getvalue()
    assert "/get?api_key=***&page=2" in file.getvalue()


def test_the_trace_stops_at_its_bound_and_says_so():
    """Past `limit` events, one `truncated` line ends the file and nothing more is written."""
    file = io.StringIO()
    writer = TraceWriter(file, origin=0.0, limit=2)
    for second in range(5):
        writer.arrived(float(second), "GET", "/get")
    assert writer.truncated
    assert file.closed
    assert writer.events == 2


class FullDisk(io.StringIO):
    """A file whose second write fails as a full disk does."""

    def write(self, text: str) -> int:
        if self.tell() > 0:
            raise OSError(28, "No space left on device")
        return super().write(text)


def test_a_failed_write_stops_the_trace_without_stopping_the_run():
    """A full disk ends the trace quietly; `problem` says why, for the command to tell."""
    writer = TraceWriter(FullDisk(), origin=0.0)
    for second in range(3):
        writer.arrived(float(second), "GET", "/get")
    assert writer.problem == "the trace stopped after 1 events: No space left on device"


def test_a_written_trace_reads_back_as_the_memory_kept_it(tmp_path):
    """The file and the in-memory recorder hold the same trace, sorted by time."""
    writer = TraceWriter.create(tmp_path / "t.jsonl", origin=0.0, source="test")
    memory = TraceMemory(origin=0.0)
    for recorder in (writer, memory):
        recorder.arrived(0.5, "GET", "/get")
        recorder.answered(0.75, "GET", "/get", Answer(AnswerKind.STATUS, 0.1, 200))
        recorder.answered(0.5, "GET", "/get", Answer(AnswerKind.CONNECT_ERROR, 0.01))
    writer.close()
    read = read_trace(tmp_path / "t.jsonl")
    assert read == Trace.of(memory, "test")
    assert read.arrivals == (Arrival(0.5, "GET /get"),)
    assert [exchange.at for exchange in read.exchanges] == [0.5, 0.75]
    assert read.exchanges[1] == Exchange(0.75, "GET /get", Answer(AnswerKind.STATUS, 0.1, 200))


def test_delay_records_each_timed_out_attempt():
    """Delay -n 2 with 3 attempts: 2 arrivals, then 6 answers, each a 2 s timeout."""
    result = runner.invoke(
        app, ["delay", "-n", "2", "--virtual-time", "--record", "t.jsonl", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    events = lines(Path("t.jsonl"))
    assert events[0] == {"format": "resilience-trace", "version": 1, "source": "delay"}
    assert [e["event"] for e in events[1:]].count("arrival") == 2
    answers = [e for e in events if e.get("event") == "answer"]
    assert len(answers) == 6
    assert {(a["error"], a["latency"]) for a in answers} == {("timeout", 2.0)}


def test_error_records_statuses_and_the_calls_the_breaker_refused():
    """Error -n 20: 20 arrivals; answers only for the attempts that reached the upstream."""
    result = runner.invoke(
        app, ["error", "-n", "20", "--virtual-time", "--record", "t.jsonl", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    trace = read_trace(Path("t.jsonl"))
    assert len(trace.arrivals) == 20
    assert len(trace.exchanges) == document["attempts"]["total"]
    assert {exchange.answer.status for exchange in trace.exchanges} == {500}


@pytest.mark.real_time
def test_a_refused_connection_is_recorded_as_a_connect_error():
    """Nothing listening on the port: the answer is connect_error, no status."""
    result = runner.invoke(
        app,
        ["invoke", "-n", "1", "--attempts", "1", "--mix", "/get", "--base-url",
         "http://127.0.0.1:9", "--record", "t.jsonl", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    answers = [e for e in lines(Path("t.jsonl")) if e.get("event") == "answer"]
    assert [a["error"] for a in answers] == ["connect_error"]


def test_a_trace_that_cannot_be_created_is_one_line_and_exit_2():
    """--record into a missing folder: exit 2 before any call, one error line."""
    result = runner.invoke(app, ["error", "-n", "1", "--virtual-time", "--record", "no/t.jsonl"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --record no/t.jsonl: cannot write (No such file or directory)"
    ]


def test_a_scenario_run_records_every_call_step_on_one_clock(tmp_path):
    """Run --record: the steps' arrivals in one trace, later steps later in time."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "version: 1\ntitle: t\nsteps:\n"
        "  - invoke: {count: 3, mix: /get}\n"
        "  - pause: 10s\n"
        "  - error: {count: 2}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["run", str(scenario), "--virtual-time", "--record", "t.jsonl"])
    assert result.exit_code == 0, result.stdout
    trace = read_trace(tmp_path / "t.jsonl")
    assert trace.source == "run"
    assert [a.request for a in trace.arrivals] == ["GET /get"] * 3 + ["GET /status/500"] * 2
    assert trace.arrivals[3].at >= 10.0

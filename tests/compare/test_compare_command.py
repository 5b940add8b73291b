"""`resilience compare`: a table, timelines, JSON and slides; bad input is one line, exit 2."""

import json

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A trace of a degraded run: 10 good calls, then 20 to /status/500, then 10 good."""
    folder = tmp_path_factory.mktemp("trace")
    scenario = folder / "s.yaml"
    scenario.write_text(
        "version: 1\ntitle: t\nsteps:\n"
        "  - invoke: {count: 10, mix: /get}\n"
        "  - error: {count: 20}\n"
        "  - pause: 40s\n"
        "  - invoke: {count: 10, mix: /get, concurrency: 1}\n",
        encoding="utf-8",
    )
    trace = folder / "t.jsonl"
    result = runner.invoke(
        app,
        [
            "run", str(scenario), "--virtual-time", "--record", str(trace),
            "--state-file", str(folder / "b.json"), "--log-file", str(folder / "app.log"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout
    return trace


def test_the_table_has_a_column_and_a_timeline_row_per_preset(recorded):
    """Five presets by default, each a column of the table and a row of the timeline."""
    result = runner.invoke(app, ["compare", str(recorded)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    for name in ("ours", "resilience4j", "polly", "pybreaker", "hystrix"):
        assert name in result.stdout
    assert "let through to the failing upstream" in result.stdout
    timeline = [line for line in result.stdout.splitlines() if line.startswith("pybreaker  ")]
    assert len(timeline) == 1
    assert "#" in timeline[0]


def test_the_json_document_is_versioned_and_the_same_every_time(recorded):
    """--json twice: identical documents, one entry per preset with its numbers."""
    args = ["compare", str(recorded), "--json", "-p", "ours,pybreaker", "--seed", "3"]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert (document["schema"], document["version"]) == ("resilience-cli/compare", 1)
    assert list(document["presets"]) == ["ours", "pybreaker"]
    assert document["trace"]["calls"] == 40
    pybreaker = document["presets"]["pybreaker"]
    assert pybreaker["let_through"] == 5
    assert pybreaker["time_to_open_s"] is not None


def test_a_sweep_compares_each_value(recorded):
    """--sweep gives one entry per preset and value."""
    result = runner.invoke(
        app,
        ["compare", str(recorded), "--json", "-p", "pybreaker", "--sweep",
         "breaker.failure_threshold=2,8"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    presets = json.loads(result.stdout)["presets"]
    assert [presets[name]["let_through"] for name in presets] == [2, 8]


@pytest.mark.parametrize("suffix", [".svg", ".html"])
def test_export_draws_the_comparison_for_slides(recorded, tmp_path, suffix):
    """--export PATH.svg or .html writes one picture with the table and the timelines."""
    path = tmp_path / f"cmp{suffix}"
    result = runner.invoke(app, ["compare", str(recorded), "--export", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    text = path.read_text("utf-8")
    assert "resilience4j" in text
    assert "<svg" in text


def test_bad_input_is_one_line_and_exit_2(recorded, tmp_path):
    """Missing, corrupt or newer traces, unknown presets and bad sweeps: exit 2, one line."""
    newer = tmp_path / "newer.jsonl"
    newer.write_text('{"format": "resilience-trace", "version": 9}\n', encoding="utf-8")
    corrupt = tmp_path / "corrupt.jsonl"
    corrupt.write_text(recorded.read_text("utf-8")[:-20] + "\n{oops\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"format": "resilience-trace", "version": 1}\n', encoding="utf-8")
    cases = [
        ([str(tmp_path / "none.jsonl")], "no such file"),
        ([str(newer)], "version 9 is newer than this resilience-cli reads"),
        ([str(corrupt)], "not a JSON object"),
        ([str(empty)], "no calls to replay"),
        ([str(recorded), "-p", "spring"], "unknown preset 'spring'"),
        ([str(recorded), "--sweep", "breaker.x=1"], "expected KEY=V1,V2"),
        ([str(recorded), "--sweep", "retry.attempts=0"], "retry.attempts"),
        ([str(recorded), "--export", str(tmp_path / "x.png")], "must end in .svg or .html"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["compare", *args])
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: ")
        assert message in lines[0], lines[0]


def test_the_heading_gives_the_traces_own_span_when_a_replay_runs_longer(tmp_path):
    """A 30 s preset timeout stretches the timelines, not what the heading says of the trace."""
    trace = tmp_path / "t.jsonl"
    result = runner.invoke(
        app,
        [
            "delay", "-n", "4", "--virtual-time", "--record", str(trace),
            "--state-file", str(tmp_path / "b.json"), "--log-file", str(tmp_path / "app.log"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout
    events = [json.loads(line) for line in trace.read_text().splitlines()[1:]]
    span = max(event["at"] for event in events)
    shown = runner.invoke(app, ["compare", str(trace), "-p", "polly"], env={"COLUMNS": "120"})
    document = json.loads(
        runner.invoke(app, ["compare", str(trace), "-p", "polly", "--json"]).stdout
    )
    assert document["trace"]["duration_s"] == pytest.approx(span)
    assert document["timeline_s"] > span + 20  # Polly's 30 s timeout outlasts the trace
    assert f"over {span:.2f} s:" in shown.stdout
    assert f"over {document['timeline_s']:.0f} s" in shown.stdout  # the timelines' line

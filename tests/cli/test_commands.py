import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app

runner = CliRunner()
VIRTUAL = ["--virtual-time"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder: its own state file and log."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, list(args))


def run_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def test_error_opens_the_breaker_and_state_shows_it():
    """`error -n 20` opens the breaker; `state --json` then says open with opened_at."""
    document = run_json("error", "-n", "20", *VIRTUAL)
    assert document["breaker"]["after"]["state"] == "open"
    assert document["fallbacks"]["breaker_open"] >= 15
    state = run_json("state")
    assert state["state"] == "open"
    assert state["fail_count"] >= 5
    assert state["opened_at"].endswith("+00:00")


def test_invoke_right_after_is_all_fallback():
    """With the breaker left OPEN, `invoke -n 5` answers every call from the fallback."""
    run_json("error", "-n", "20", *VIRTUAL)
    document = run_json("invoke", "-n", "5", *VIRTUAL)
    assert document["fallbacks"] == {"breaker_open": 5}
    assert document["attempts"]["total"] == 0


def test_force_open_then_reset():
    """force-open makes every call fall back; reset returns the breaker to CLOSED."""
    assert run_json("force-open")["state"] == "forced_open"
    assert run_json("invoke", "-n", "5", *VIRTUAL)["fallbacks"] == {"breaker_open": 5}
    assert run_json("reset")["state"] == "closed"
    assert run_json("state")["state"] == "closed"


def test_delay_shows_timeouts_and_retries():
    """`delay` times out at the 2 s attempt timeout and retries."""
    document = run_json("delay", "-n", "2", "--failure-threshold", "0", *VIRTUAL)
    assert document["attempts"]["failed"] == {"timeout": 6}
    assert document["retries"] == 4
    assert document["fallbacks"] == {"timeout": 2}


def test_delay_that_fits_the_timeout_succeeds():
    """`delay --seconds 1` fits the 2 s timeout: every call succeeds on the first try."""
    document = run_json("delay", "-n", "3", "--seconds", "1", *VIRTUAL)
    assert document["succeeded"] == 3


def test_invoke_shows_one_row_per_endpoint_and_pacing():
    """`invoke -n 60` reports each endpoint, the bulkhead's peak and the limiter's pacing."""
    document = run_json(
        "invoke", "-n", "60", "--failure-threshold", "0", "--failure-rate", "0", *VIRTUAL
    )
    assert set(document["endpoints"]) == {"/get", "/delay/3", "/status/500"}
    assert document["concurrency"]["bulkhead_peak"] == 5
    assert document["concurrency"]["bulkhead_peak_waiting"] > 0
    assert document["rate"]["limiter_waits"] > 0


def test_the_same_seed_gives_the_same_virtual_run():
    """Two virtual runs with one seed produce identical documents (apart from time)."""
    first = run_json("invoke", "-n", "30", "--seed", "9", "--state-file", "a.json", *VIRTUAL)
    second = run_json("invoke", "-n", "30", "--seed", "9", "--state-file", "b.json", *VIRTUAL)
    for document in (first, second):
        for view in ("before", "after"):
            document["breaker"][view]["opened_at"] = None
        for transition in document["breaker"]["transitions"]:
            transition["at"] = None
    assert first == second


def test_human_output_is_a_rich_summary():
    """Without --json, the summary tables and the breaker line are printed."""
    result = run("error", "-n", "20", *VIRTUAL)
    assert result.exit_code == 0
    assert "resilience error: 20 of 20 calls" in result.stdout
    assert "breaker_open" in result.stdout
    assert "CLOSED → OPEN" in result.stdout


def test_every_decision_is_logged_as_json_lines(in_tmp):
    """logs/app.log gets one JSON object per decision, with a timestamp and run id."""
    run_json("error", "-n", "20", *VIRTUAL)
    lines = [json.loads(line) for line in (in_tmp / "logs" / "app.log").read_text().splitlines()]
    names = {line["event"] for line in lines}
    assert {
        "run.started",
        "attempt.failed",
        "retry.scheduled",
        "breaker.opened",
        "call.fell_back",
        "run.finished",
    } <= names
    opened = next(line for line in lines if line["event"] == "breaker.opened")
    assert opened["reason"] == "5 consecutive failures >= threshold 5, so OPEN"
    assert len({line["run_id"] for line in lines}) == 1
    assert all("timestamp" in line for line in lines)


def test_logs_pretty_prints_the_tail():
    """`resilience logs -n 3` prints the last three decisions, one per line."""
    run_json("error", "-n", "20", *VIRTUAL)
    result = run("logs", "-n", "3")
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) == 3
    assert "run.finished" in result.stdout
    raw = run("logs", "-n", "1", "--raw")
    assert json.loads(raw.stdout)["event"] == "run.finished"


def test_logs_without_a_log_is_a_clear_error():
    """`logs` before any run says there is no log yet, in one line, exit 2."""
    result = run("logs")
    assert result.exit_code == 2
    assert f"no log at {Path('logs/app.log')} yet" in one_line_error(result)


def test_a_corrupt_state_file_is_one_line_exit_2_and_untouched(in_tmp):
    """A corrupt state file gives one line naming it and 'resilience reset', and stays as is."""
    state = in_tmp / ".resilience" / "breaker.json"
    state.parent.mkdir()
    state.write_text("{not json")
    for args in (("state",), ("invoke", "-n", "2", *VIRTUAL), ("force-open",)):
        result = run(*args)
        assert result.exit_code == 2, args
        line = one_line_error(result)
        assert str(Path(".resilience/breaker.json")) in line
        assert "resilience reset" in line
    assert state.read_text() == "{not json"


def test_reset_is_the_way_out_of_a_corrupt_file(in_tmp):
    """`reset` replaces an unreadable file in the state folder with a fresh CLOSED breaker."""
    state = in_tmp / "elsewhere" / ".resilience" / "x.json"
    state.parent.mkdir(parents=True)
    state.write_text("{broken")
    result = run("reset", "--state-file", str(state))
    assert result.exit_code == 0
    assert "replaced the unreadable state file" in result.stderr
    assert run_json("state", "--state-file", str(state))["state"] == "closed"


def test_state_file_comes_from_the_environment(in_tmp, monkeypatch):
    """RESILIENCE_STATE_FILE chooses the state file when no flag is given."""
    monkeypatch.setenv("RESILIENCE_STATE_FILE", str(in_tmp / "env.json"))
    run_json("force-open")
    assert (in_tmp / "env.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("error", "--bogus"), "No such option: --bogus"),
        (("invoke", "-n", "0"), "Invalid value for '-n' / '--count'"),
        (("invoke", "--burst", "0", *VIRTUAL), "--burst (rate_limiter.burst): must be >= 1, got 0"),
        (
            ("invoke", "--window", "5", *VIRTUAL),
            "--min-calls (breaker.minimum_calls): must be between 1 and window_size 5, got 10",
        ),
        (
            ("invoke", "--mix", "get:1", *VIRTUAL),
            "--mix: 'get:1' must be /path:weight with a weight > 0",
        ),
        (("invoke", "--mix", "/get:x", *VIRTUAL), "--mix: weight 'x' of '/get' is not a number"),
        (
            ("invoke", "--base-url", "ftp://x"),
            "--base-url 'ftp://x' must be an http:// or https:// URL with a host",
        ),
        (
            ("invoke", "--base-url", "http://x", *VIRTUAL),
            "--virtual-time runs against the in-process upstream",
        ),
        (("nosuch",), "No such command 'nosuch'"),
        (
            ("invoke", "--deadline", "0.05", *VIRTUAL),
            "--min-attempt (timeout.min_attempt): must be below timeout.total 0.05s",
        ),
        (
            ("invoke", "--min-attempt", "-1", *VIRTUAL),
            "--min-attempt (timeout.min_attempt): must be >= 0 seconds",
        ),
        (("invoke", "--max-retry-after", "-1", *VIRTUAL), "Invalid value for '--max-retry-after'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    """Bad flags and values give one 'error:' line and exit code 2, never a traceback."""
    result = run(*args)
    assert result.exit_code == 2
    assert message in one_line_error(result)


@pytest.mark.parametrize("command", [("invoke", "-n", "1"), ("upstream", "check")])
def test_a_base_url_with_a_byte_that_is_not_utf8_is_a_usage_error(command):
    r"""`--base-url $'http://h/caf\xe9'` (not UTF-8 on the command line): one line, exit 2."""
    result = run(*command, "--base-url", "http://127.0.0.1:9/caf\udce9")
    assert result.exit_code == 2
    assert "is not a URL: it holds a byte that is not UTF-8" in one_line_error(result)


def test_an_unreachable_base_url_is_fallbacks_not_an_error():
    """Nothing listening at --base-url: calls fall back as connect_error, exit 0."""
    document = run_json(
        "invoke", "-n", "3", "--base-url", "http://127.0.0.1:9", "--attempts", "1", "--rate", "0"
    )
    assert document["fallbacks"] == {"connect_error": 3}


def test_a_real_time_run_uses_the_embedded_upstream_on_loopback():
    """Without flags, calls go to the embedded server on 127.0.0.1 and succeed."""
    document = run_json("invoke", "-n", "5", "--mix", "/get:1")
    assert document["target"].startswith("embedded http://127.0.0.1:")
    assert document["succeeded"] == 5


def test_upstream_check_reports_health():
    """`upstream check` is ok on the embedded upstream and fails (exit 1) on a dead URL."""
    assert run_json("upstream", "check")["ok"] is True
    result = run("upstream", "check", "--base-url", "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "FAILED" in result.stdout


def test_an_unwritable_log_file_is_a_usage_error(in_tmp):
    """A --log-file in a folder that cannot exist gives one line and exit 2."""
    (in_tmp / "file").write_text("")
    result = run("invoke", "-n", "1", "--log-file", "file/app.log", *VIRTUAL)
    assert result.exit_code == 2
    assert str(Path("file/app.log")) in one_line_error(result)


@pytest.mark.parametrize(
    "content",
    [
        (
            '{"kind": "resilience-cli/breaker-state", "schema_version": 1, "breaker": {"format": 1,'
            ' "state": "open", "opened_at": "0001-01-01T00:00:00+05:00"}}'
        ),
        (
            '{"kind": "resilience-cli/breaker-state", "schema_version": 1, "breaker": {"format": 1,'
            ' "state": "closed", "open_for": Infinity}}'
        ),
        (
            '{"kind": "resilience-cli/breaker-state", "schema_version": 1, "breaker": {"format": 1,'
            ' "state": "closed", "transitions": [{"from": "closed", "to": "open",'
            ' "at": "9999-12-31T23:59:59-05:00", "reason": "x"}]}}'
        ),
        "[" * 100_000,
    ],
    ids=["year-0", "infinity", "year-10000", "deep"],
)
def test_odd_corrupt_state_files_are_exit_2_and_reset_recovers(in_tmp, content):
    """Out-of-range times, Infinity, deep nesting: exit 2 everywhere, and reset repairs it."""
    state = in_tmp / ".resilience" / "breaker.json"
    state.parent.mkdir()
    state.write_text(content)
    for args in (("state",), ("invoke", "-n", "1", *VIRTUAL)):
        result = run(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "resilience reset" in one_line_error(result)
    assert run("reset").exit_code == 0
    assert run_json("state")["state"] == "closed"


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_non_finite_durations_are_refused_before_anything_runs(in_tmp, value):
    """--open-for inf or nan is a usage error (exit 2), and no state file is written."""
    result = run("invoke", "-n", "1", "--open-for", value, *VIRTUAL)
    assert result.exit_code == 2
    assert "--open-for (breaker.open_for)" in one_line_error(result)
    assert not (in_tmp / ".resilience").exists()


def test_virtual_runs_on_one_state_file_repeat_exactly():
    """Back-to-back virtual runs sharing a state file report the same numbers each time."""

    def numbers() -> dict:
        document = run_json("error", "-n", "20", *VIRTUAL)
        assert run("reset").exit_code == 0
        transitions = document["breaker"]["transitions"]
        return {
            "fallbacks": document["fallbacks"],
            "transitions": [(t["from"], t["to"], t["reason"]) for t in transitions],
        }

    first = numbers()
    assert first["transitions"] == [
        ("closed", "open", "5 consecutive failures >= threshold 5, so OPEN")
    ]
    assert numbers() == first
    assert numbers() == first


def test_operator_actions_are_logged(in_tmp):
    """force-open and reset write their decisions to the log too."""
    run_json("force-open", "--reason", "maintenance")
    run_json("reset")
    run_json("reset")
    events = [json.loads(line) for line in (in_tmp / "logs" / "app.log").read_text().splitlines()]
    assert [(e["command"], e["event"]) for e in events] == [
        ("force-open", "breaker.forced_open"),
        ("reset", "breaker.closed"),
        ("reset", "breaker.reset"),
    ]
    assert events[0]["reason"] == "maintenance"


def test_a_file_in_the_way_of_the_log_folder_says_so(in_tmp):
    """--log-file under a path that is a file: one clear line, exit 2."""
    (in_tmp / "afile").write_text("")
    result = run("invoke", "-n", "1", "--log-file", "afile/x.log", *VIRTUAL)
    assert result.exit_code == 2
    assert "a file is in the way of one of its folders" in one_line_error(result)

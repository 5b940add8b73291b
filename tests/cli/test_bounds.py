"""Every number a user types has bounds: a value outside them is one line and exit 2."""

import json

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app

runner = CliRunner()
VIRTUAL = ["--virtual-time"]
DIGITS_400 = "9" * 400
DIGITS_5000 = "9" * 5000


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder: its own state file and log."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, list(args))


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output + result.stderr
    assert "internal error" not in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-c", DIGITS_400), "'-c' / '--concurrency'"),
        (("-c", "1001"), "less than or equal to 1000"),
        (("-n", "100000001"), "less than or equal to 100000000"),
        (("-n", "2147483648"), "'-n' / '--count'"),
        (("--seed", DIGITS_5000), "'--seed'"),
        (("--seed", "-1"), "greater than or equal to 0"),
        (("--window", DIGITS_400), "--window (breaker.window_size): must be <= 10,000, got 999"),
        (("--window", "10001"), "--window (breaker.window_size): must be <= 10,000, got 10001"),
        (("--open-for", DIGITS_400), "--open-for (breaker.open_for): must be at most 86,400 s"),
        (("--open-for", "86401"), "--open-for (breaker.open_for): must be at most 86,400 s"),
        (("--backoff", "1e8"), "--backoff (retry.base_delay): must be at most 86,400 s"),
        (("--attempts", "101"), "--attempts (retry.attempts): must be <= 100, got 101"),
        (("--attempts", "0"), "--attempts (retry.attempts): must be >= 1"),
        (("--burst", DIGITS_400), "--burst (rate_limiter.burst): must be <= 1,000,000"),
        (("--rate", "1e400"), "--rate (rate_limiter.rate): must be <= 1,000,000, got inf"),
        (("--queue", DIGITS_400), "--queue (bulkhead.max_queue): must be <= 1,000,000"),
        (("--min-calls", DIGITS_400), "--min-calls (breaker.minimum_calls): must be <= 10,000"),
    ],
)
def test_numbers_out_of_bounds_are_one_line_and_exit_2(args, message):
    """400- and 5,000-digit numbers and values past a bound: exit 2, never an overflow."""
    assert message in one_line_error(run("invoke", *args, *VIRTUAL))


def test_the_largest_values_are_accepted():
    """At the bound itself the run goes ahead: a day of open window, the largest window."""
    result = run(
        "error",
        "-n",
        "1",
        "--open-for",
        "86400",
        "--window",
        "10000",
        "--min-calls",
        "10000",
        "--json",
        *VIRTUAL,
    )
    assert result.exit_code == 0, result.output + result.stderr


def test_a_concurrency_above_the_count_offers_one_call_per_call():
    """`-n 2 -c 1000` runs two calls, at most two at once."""
    result = run("invoke", "-n", "2", "-c", "1000", "--json", *VIRTUAL)
    assert result.exit_code == 0, result.output + result.stderr
    document = json.loads(result.stdout)
    assert document["calls"] == 2
    assert document["concurrency"]["peak_in_flight"] <= 2


@pytest.mark.parametrize("weights", ["/get:1e308,/get:1e308", "/get:1000001"])
def test_mix_weights_have_a_bound(weights):
    """Weights whose total would not be finite are refused, naming the weight."""
    assert "is too large; at most 1,000,000" in one_line_error(
        run("invoke", "--mix", weights, *VIRTUAL)
    )


@pytest.mark.parametrize("status", ["100", "150", "199"])
def test_informational_statuses_are_refused(status):
    """A 1xx is no final answer: the upstream answers 400, which would count as a success."""
    assert f"--status: status {status} must be >= 200 (a 1xx status" in one_line_error(
        run("error", "-n", "1", "--status", status, *VIRTUAL)
    )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("600", "--status: status 600 must be <= 599"),
        ("200,abc", "--status: 'abc' is not a status such as 500"),
        ("200,150", "--status: status 150 must be >= 200"),
        ("200:0,500:0", "--status: the weights of the statuses add up to 0"),
        ("200:1e400", "--status: weight '1e400' of status 200 must be a number >= 0"),
    ],
)
def test_bad_status_choices_are_one_line(status, message):
    """Every part of a status choice is checked: codes, weights and their total."""
    assert message in one_line_error(run("error", "-n", "1", "--status", status, *VIRTUAL))


def test_error_takes_a_list_of_statuses_as_httpbin_does():
    """`--status 200,500` calls /status/200,500, which answers 200 or 500."""
    result = run("error", "-n", "40", "--status", "200,500", "--json", *VIRTUAL)
    assert result.exit_code == 0, result.output + result.stderr
    document = json.loads(result.stdout)
    assert set(document["endpoints"]) == {"/status/200,500"}
    assert 0 < document["succeeded"] + document["recovered"] < 40


def test_mix_takes_a_status_list_inside_a_path():
    """In --mix, a comma before a digit stays in the path: /status/200,500:1 is one item."""
    result = run("invoke", "-n", "10", "--mix", "/get:1,/status/200,500:1", "--json", *VIRTUAL)
    assert result.exit_code == 0, result.output + result.stderr
    assert set(json.loads(result.stdout)["endpoints"]) <= {"/get", "/status/200,500"}


def test_the_help_quotes_the_status_choices():
    """`error --help` shows a list and a weighted choice; `invoke --help` a mix with one."""
    assert "200:0.7,500:0.3" in run("error", "--help").stdout
    assert "/status/200,500:1" in run("invoke", "--help").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("logs", "-n", DIGITS_400), "'-n' / '--lines'"),
        (("run", "tour", "--seed", DIGITS_400), "'--seed'"),
        (("upstream", "serve", "--seed", "-1"), "'--seed'"),
        (("upstream", "check", "--timeout", "1e400"), "'--timeout'"),
    ],
)
def test_the_other_commands_bound_their_numbers(args, message):
    """`logs -n`, `run --seed` and `upstream serve --seed` are bounded too."""
    assert message in one_line_error(run(*args))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"open_for": 10**400}, "open_for must be seconds from 0 to 86400"),
        (
            {"state": "forced_open", "opened_at": "0001-01-01T00:00:00+00:00"},
            "is not a usable ISO 8601 time (from 1970 to 9999)",
        ),
    ],
)
@pytest.mark.parametrize("command", [("state", "--json"), ("invoke", "-n", "1")])
def test_numbers_out_of_bounds_in_the_state_file_are_exit_2(in_tmp, change, message, command):
    """A 400-digit `open_for` or a time in year 1: one line, exit 2, the file untouched."""
    assert run("force-open").exit_code == 0
    path = in_tmp / ".resilience" / "breaker.json"
    document = json.loads(path.read_text())
    document["breaker"] |= change
    path.write_text(json.dumps(document))
    before = path.read_bytes()
    assert message in one_line_error(run(*command))
    assert path.read_bytes() == before


def test_a_weighted_status_runs_as_one_endpoint(in_tmp):
    """`status: 200:0.7,500:0.3` in a file and on the flag call that path, weights and all."""
    (in_tmp / "w.yaml").write_text(
        "version: 1\ntitle: t\nsteps:\n"
        "  - error: {count: 20, status: '200:0.7,500:0.3'}\n"
        "    policies: {breaker: null, retry: {attempts: 1}}\n"
    )
    result = run("run", "w.yaml", "--json", *VIRTUAL)
    assert result.exit_code == 0, result.output + result.stderr
    summary = json.loads(result.stdout)["runs"][0]["steps"][0]["summary"]
    assert list(summary["endpoints"]) == ["/status/200:0.7,500:0.3"]
    assert 0 < summary["succeeded"] < 20
    flags = ("--status", "200:0.7,500:0.3", "--failure-threshold", "0", "--failure-rate", "0")
    result = run("error", "-n", "20", *flags, "--json", *VIRTUAL)
    assert result.exit_code == 0, result.output + result.stderr
    assert list(json.loads(result.stdout)["endpoints"]) == ["/status/200:0.7,500:0.3"]

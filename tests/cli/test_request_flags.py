import json

import pytest
from typer.testing import CliRunner

from resilience_cli import redact
from resilience_cli.cli import app

runner = CliRunner()
TOKEN = "t0ken-from-env"  # noqa: S105 - the secret the tests hunt for


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no secret remembered from another test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    redact.forget_secrets()
    yield tmp_path
    redact.forget_secrets()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, [*args, "--virtual-time"], env=env)


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def log_lines(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / "logs" / "app.log").read_text().splitlines()]


def test_invoke_sends_method_headers_query_and_json(in_tmp):
    """POST with a header, a parameter and a JSON body: the row says `POST /anything`."""
    result = run(
        "invoke",
        "-n",
        "3",
        "--mix",
        "/anything:1",
        "--method",
        "post",
        "-H",
        "Authorization: Bearer ${API_TOKEN}",
        "--param",
        "q=${API_TOKEN}",
        "--data-json",
        '{"token": "${API_TOKEN}"}',
        "--json",
        env={"API_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document["endpoints"]) == ["POST /anything"]
    assert document["succeeded"] == 3
    started = next(line for line in log_lines(in_tmp) if line["event"] == "run.started")
    assert started["requests"] == [
        {
            "name": "POST /anything",
            "method": "POST",
            "path": "/anything",
            "headers": {"Authorization": "***"},
        }
    ]
    assert TOKEN not in result.output + (in_tmp / "logs" / "app.log").read_text()


def test_an_undefined_variable_is_exit_2_naming_it(in_tmp):
    """`${API_TOKEN}` with no such variable: one line naming it, exit 2, no call made."""
    result = run("invoke", "-H", "X-Api-Key: ${API_TOKEN}", env={"API_TOKEN": None})
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "${API_TOKEN} is not set" in line
    assert not (in_tmp / ".resilience").exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--method", "BREW"], "--method 'BREW' is not one of GET"),
        (["-H", "no colon here"], "must be 'Name: value'"),
        (["--param", "novalue"], "--param 'novalue'... must be name=value"),
        (["--data-json", "{nope"], "--data-json is not JSON"),
        (["--data", "a", "--data-json", "1"], "keep one"),
        (["--data", "@missing.txt"], "--data @missing.txt: cannot read it"),
        (["--fail-on", "5xx,teapot"], "--fail-on: 'teapot' is not one of"),
        (["-H", "X-Bad: a${OPEN"], "is not a variable"),
    ],
)
def test_bad_request_flags_are_one_line_and_exit_2(args, problem):
    """Each bad request flag says what is wrong in one line, exit 2."""
    result = run("invoke", *args)
    assert result.exit_code == 2, result.output
    assert problem in one_line_error(result)


def test_data_from_a_file_is_sent(in_tmp):
    """`--data @file` sends the file's content; the run succeeds."""
    (in_tmp / "body.txt").write_text("hello ${WHO}")
    result = run(
        "invoke", "-n", "2", "--mix", "/anything:1", "--method", "PUT",
        "--data", "@body.txt", "--json", env={"WHO": "class"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["endpoints"]["PUT /anything"]["succeeded"] == 2


def test_fail_on_4xx_turns_a_404_into_a_fallback_and_says_which_rule(in_tmp):
    """`--fail-on 4xx,5xx`: a 404 falls back (unexpected_status) and the summary names the rule."""
    result = run("invoke", "-n", "4", "--mix", "/status/404:1", "--fail-on", "4xx,5xx", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["fallbacks"] == {"unexpected_status": 4}
    assert document["failure_rules"] == ["fails on 5xx, 4xx (--fail-on)"]
    failed = [line for line in log_lines(in_tmp) if line["event"] == "attempt.failed"]
    assert failed[0]["detail"] == "HTTP 404: fails by --fail-on rule (5xx, 4xx)"
    text = run("invoke", "-n", "4", "--mix", "/status/404:1", "--fail-on", "4xx,5xx").stdout
    assert "fails on 5xx, 4xx (--fail-on)" in text


def test_fail_on_without_5xx_counts_a_500_as_an_answer():
    """`--fail-on timeout,connect`: a 500 is a success for the patterns."""
    result = run("error", "-n", "3", "--fail-on", "timeout,connect", "--json")
    document = json.loads(result.stdout)
    assert document["succeeded"] == 3
    assert document["breaker"]["after"]["state"] == "closed"


def test_the_default_rule_is_said_in_the_full_summary():
    """The full view says what failed by: the default rule, by name."""
    result = run("invoke", "-n", "2", "--mix", "/get:1", "--view", "full")
    assert "fails on 5xx, 429, timeout, connect (default)" in result.stdout

import json

import pytest
from typer.testing import CliRunner

from resilience_cli import redact
from resilience_cli.cli import app
from resilience_cli.request import Request
from resilience_cli.scenarios.loader import parse_scenario

runner = CliRunner()
SECRET = "s3cret-from-env"  # noqa: S105 - the value the tests hunt for

FILE = """\
version: 1
title: requests
seed: 3
requests:
  - name: create order
    method: post
    path: /anything/orders
    query: {source: smoke, page: 2}
    headers: {Authorization: "Bearer ${API_TOKEN}"}
    json: {item: book, token: "${API_TOKEN}"}
    weight: 3
    ok_status: [200, 201]
  - name: missing is fine
    path: /status/404
    ok_status: [404]
  - name: missing is not
    path: /status/404
steps:
  - name: calls
    invoke: {count: 12, requests: [create order, missing is fine]}
    expect:
      outcome.success: rate == 1
  - name: strict
    invoke: {count: 3, requests: [missing is not], fail_on: "4xx,5xx"}
    expect:
      fallback.unexpected_status: count == 3
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """A fresh folder, no remembered secret."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    redact.forget_secrets()
    yield tmp_path
    redact.forget_secrets()


def test_a_request_entry_is_a_request_value():
    """Each entry of `requests:` becomes a `Request`, `${VAR}` kept until the run."""
    scenario = parse_scenario(FILE, "r.yaml")
    assert scenario.requests[0].request() == Request(
        "/anything/orders",
        "POST",
        name="create order",
        query=(("source", "smoke"), ("page", "2")),
        headers=(("Authorization", "Bearer ${API_TOKEN}"),),
        json='{"item": "book", "token": "${API_TOKEN}"}',
        weight=3.0,
        ok_status=frozenset({200, 201}),
    )


def test_a_scenario_draws_from_its_requests_and_judges_by_ok_status(in_tmp):
    """The step's rows are the requests' names; 404 is ok where ok_status says so."""
    (in_tmp / "r.yaml").write_text(FILE)
    result = runner.invoke(
        app, ["run", "r.yaml", "--virtual-time", "--json"], env={"API_TOKEN": SECRET}
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    steps = document["runs"][0]["steps"]
    assert set(steps[0]["summary"]["endpoints"]) == {"create order", "missing is fine"}
    assert steps[1]["summary"]["failure_rules"] == ["fails on 5xx, 4xx (fail_on)"]
    assert SECRET not in result.output
    assert SECRET not in (in_tmp / "logs" / "app.log").read_text()


def test_the_defaults_fail_on_rules_a_step_without_its_own(in_tmp):
    """`defaults: {fail_on: ...}` decides for every step that does not say otherwise."""
    text = FILE.replace("steps:\n", 'defaults: {fail_on: "4xx,5xx"}\nsteps:\n', 1).replace(
        ', fail_on: "4xx,5xx"}', "}"
    )
    assert text.count("fail_on") == 1  # the defaults' only
    (in_tmp / "r.yaml").write_text(text)
    result = runner.invoke(
        app, ["run", "r.yaml", "--virtual-time", "--json"], env={"API_TOKEN": SECRET}
    )
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["runs"][0]["steps"]
    assert steps[1]["summary"]["failure_rules"] == ["fails on 5xx, 4xx (fail_on)"]
    assert steps[1]["summary"]["fallbacks"] == {"unexpected_status": 3}


def test_an_unset_variable_stops_the_run_before_any_step(in_tmp):
    """`${API_TOKEN}` not set: exit 2 naming it and the file; no step ran, no state written."""
    (in_tmp / "r.yaml").write_text(FILE)
    result = runner.invoke(app, ["run", "r.yaml", "--virtual-time"], env={"API_TOKEN": None})
    assert result.exit_code == 2
    expected = (
        "error: r.yaml: request 'create order' header Authorization:"
        " ${API_TOKEN} is not set in the environment"
    )
    assert result.stderr.strip().splitlines() == [expected]
    assert not (in_tmp / ".resilience").exists()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("requests: [nope]", "'nope' is not one of the file's requests"),
        ('requests: [create order], mix: "/get:1"', "give mix or requests, not both"),
    ],
)
def test_a_step_names_requests_the_file_has(in_tmp, change, problem):
    """An invoke step's `requests` must name entries of `requests:`, with no `mix` beside."""
    text = FILE.replace("requests: [missing is not]", change)
    (in_tmp / "r.yaml").write_text(text)
    result = runner.invoke(app, ["validate", "r.yaml"])
    assert result.exit_code == 2
    assert problem in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("method: post", "method: brew", "must be one of GET"),
        ("path: /anything/orders", "path: anything", "must start with /"),
        ("ok_status: [404]", "ok_status: [99]", "must be >= 100"),
        ("weight: 3", "weight: 0", "must be > 0"),
        ("weight: 3", "body: text", "give json or body, not both"),
        ('"Bearer ${API_TOKEN}"', '"Bearer ${API TOKEN}"', "is not a variable"),
        ("name: missing is not", "name: missing is fine", "is already used by requests[1]"),
        ('fail_on: "4xx,5xx"', 'fail_on: "4xx,teapot"', "'teapot' is not one of"),
    ],
)
def test_a_bad_request_entry_is_a_located_problem(in_tmp, old, new, problem):
    """Each bad field of a request entry is an exit-2 problem at its line."""
    assert old in FILE
    (in_tmp / "r.yaml").write_text(FILE.replace(old, new, 1))
    result = runner.invoke(app, ["validate", "r.yaml"])
    assert result.exit_code == 2, result.output
    assert problem in result.stderr
    assert result.stderr.startswith("error: r.yaml:")


def test_validate_does_not_need_the_environment(in_tmp):
    """`validate` checks the form of `${...}` only: a CI job may validate without secrets."""
    (in_tmp / "r.yaml").write_text(FILE)
    result = runner.invoke(app, ["validate", "r.yaml"], env={"API_TOKEN": None})
    assert result.exit_code == 0, result.output

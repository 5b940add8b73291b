import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app

runner = CliRunner()

FAILING = """\
version: 1
title: A failing check
steps:
  - name: errors
    error: {count: 3}
    policies: {breaker: null}
    expect:
      outcome.success: rate == 1
      calls: count == 3
      latency: [{threshold: "p(95) < 1ms", strict: false}]
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    return tmp_path


def invoke(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


def test_the_ci_smoke_scenario_passes_with_exit_0():
    """`run ci-smoke --virtual-time` passes every expectation and exits 0."""
    result = invoke("run", "ci-smoke", "--virtual-time")
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.stdout
    assert "✓ breaker.state value == open" in result.stdout


def test_a_failing_expectation_exits_1_naming_observed_and_expected(in_tmp):
    """A ✗ line names the observed and the expected value; the run exits 1."""
    (in_tmp / "failing.yaml").write_text(FAILING)
    result = invoke("run", "failing.yaml", "--virtual-time")
    assert result.exit_code == 1
    assert "✗ outcome.success rate == 1  rate=0, expected == 1" in result.stdout
    assert "✓ calls count == 3  count=3" in result.stdout
    assert "(advisory)" in result.stdout
    assert "FAILED" in result.stdout


def test_an_invalid_file_exits_2_and_names_file_line_and_key(in_tmp):
    """A bad file stops the run before anything runs: exit 2, file:line:col key: message."""
    (in_tmp / "bad.yaml").write_text(FAILING.replace("count: 3", "count: 0"))
    result = invoke("run", "bad.yaml", "--virtual-time")
    assert result.exit_code == 2
    assert "bad.yaml:5:20 steps[0].error.count: must be >= 1" in result.stderr
    assert not (in_tmp / ".resilience").exists()


def test_validate_reports_each_file(in_tmp):
    """`validate` says ok per good file and exits 2 if any file is bad."""
    (in_tmp / "good.yaml").write_text(FAILING)
    (in_tmp / "bad.yaml").write_text(FAILING.replace("concurrency", "x").replace("error:", "eror:"))
    result = invoke("validate", "good.yaml", "bad.yaml")
    assert result.exit_code == 2
    assert "ok: good.yaml: A failing check (1 step, 3 expectations)" in result.stdout
    assert "bad.yaml:5:5" in result.stderr
    assert "did you mean 'error'?" in result.stderr


def test_validate_json_lists_problems(in_tmp):
    """`validate --json` gives one document with each file's problems."""
    (in_tmp / "bad.yaml").write_text("version: 2\ntitle: x\nsteps: [{reset: {}}]\n")
    result = invoke("validate", "bad.yaml", "--json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["files"][0]["valid"] is False
    assert document["files"][0]["problems"][0].startswith("bad.yaml:1:10 version:")


def test_run_json_is_one_versioned_document(in_tmp):
    """`run --json` prints one document with every step and expectation."""
    (in_tmp / "failing.yaml").write_text(FAILING)
    result = invoke("run", "failing.yaml", "ci-smoke", "--virtual-time", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["schema"] == "resilience-cli/scenario-run"
    assert document["version"] == 1
    assert [run["status"] for run in document["runs"]] == ["failed", "passed"]
    step = document["runs"][0]["steps"][0]
    assert step["summary"]["calls"] == 3
    assert step["expectations"][0] == {
        "metric": "outcome.success",
        "threshold": "rate == 1",
        "observed": 0.0,
        "observed_text": "rate=0",
        "passed": False,
        "strict": True,
        "abort_on_fail": False,
    }


def test_junit_has_one_testcase_per_expectation(in_tmp):
    """--junit writes XML that parses, with the right tests/failures/skipped counts."""
    (in_tmp / "failing.yaml").write_text(FAILING)
    result = invoke("run", "failing.yaml", "ci-smoke", "--virtual-time", "--junit", "out/junit.xml")
    assert result.exit_code == 1
    root = ET.parse(in_tmp / "out" / "junit.xml").getroot()  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("16", "1")
    failing, smoke = root.findall("testsuite")
    assert failing.get("name") == "failing"
    cases = failing.findall("testcase")
    assert [case.get("classname") for case in cases] == ["failing.errors"] * 3
    assert cases[0].get("name") == "outcome.success rate == 1"
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "rate=0, expected == 1"
    assert smoke.get("failures") == "0"
    assert smoke.find("properties/property[@name='seed']").get("value") == "42"


def test_junit_gives_each_step_its_time_once(in_tmp):
    """A step's time is on its first testcase only, so the cases add up to the steps' time."""
    result = invoke("run", "ci-smoke", "--virtual-time", "--junit", "junit.xml", "--json")
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["runs"][0]["steps"]
    suite = ET.parse(in_tmp / "junit.xml").getroot().find("testsuite")  # noqa: S314 - ours
    assert suite is not None
    seen: dict[str, list[float]] = {}
    for case in suite.findall("testcase"):
        seen.setdefault(case.get("classname"), []).append(float(case.get("time")))
    judged = [step for step in steps if step["expectations"]]
    assert len(seen) == len(judged)
    for step in judged:
        first, *rest = seen[f"ci-smoke.{step['name']}"]
        assert first == pytest.approx(step["elapsed_s"], abs=0.001)
        assert rest == [0.0] * (len(step["expectations"]) - 1)
    assert sum(sum(times) for times in seen.values()) <= float(suite.get("time")) + 0.001


@pytest.mark.parametrize("name", ["ci-smoke", "ci-smoke.yaml", "scenarios/ci-smoke.yaml"])
def test_reports_name_the_file_as_the_user_gave_it(in_tmp, name):
    """JUnit's `file` and the JSON's `file` are what was typed, never the package's copy."""
    (in_tmp / "scenarios").mkdir()
    (in_tmp / "scenarios" / "ci-smoke.yaml").write_text(_shipped("ci-smoke"))
    result = invoke("run", name, "--virtual-time", "--junit", "junit.xml", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["runs"][0]["file"] == name
    suite = ET.parse(in_tmp / "junit.xml").getroot().find("testsuite")  # noqa: S314 - ours
    assert suite is not None
    assert (suite.get("file"), suite.get("name")) == (name, "ci-smoke")


def _shipped(name: str) -> str:
    from resilience_cli.cli.scenario_cmds import SHIPPED  # noqa: PLC0415

    return (SHIPPED / f"{name}.yaml").read_text()


def test_github_step_summary_is_appended(in_tmp, monkeypatch):
    """With GITHUB_STEP_SUMMARY set, a Markdown summary is appended to that file."""
    summary = in_tmp / "summary.md"
    summary.write_text("# earlier\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    (in_tmp / "failing.yaml").write_text(FAILING)
    invoke("run", "failing.yaml", "--virtual-time")
    text = summary.read_text()
    assert text.startswith("# earlier\n")
    assert "### ❌ A failing check: failed" in text
    assert "| ❌ | errors | `outcome.success rate == 1` | rate=0 |" in text


@pytest.mark.parametrize(
    ("name", "written", "marker"),
    [
        ("tour.svg", "tour-01.svg", "<svg"),
        ("tour.html", "tour.html", "<html"),
        ("tour.txt", "tour.txt", "Expectations"),
    ],
)
def test_export_records_the_report_for_slides(in_tmp, name, written, marker):
    """--export writes the report as SVG slides, an HTML page of slides, or text."""
    result = invoke("run", "circuit-breaker", "--virtual-time", "--export", name)
    assert result.exit_code == 0
    assert marker in (in_tmp / written).read_text()


@pytest.mark.parametrize(("name", "marker"), [("tour.svg", "<svg"), ("tour.html", "<html")])
def test_export_mode_single_keeps_one_long_image(in_tmp, name, marker):
    """--export-mode single writes the whole report to the one file named."""
    result = invoke(
        "run", "circuit-breaker", "--virtual-time", "--export", name, "--export-mode", "single"
    )
    assert result.exit_code == 0
    assert marker in (in_tmp / name).read_text()
    assert not list(in_tmp.glob("tour-*"))


def test_export_refuses_other_formats():
    """--export with an unknown extension is a usage error."""
    result = invoke("run", "tour", "--export", "tour.png")
    assert result.exit_code == 2
    assert "must end in .svg, .html or .txt" in result.stderr


def test_interactive_waits_for_enter_before_each_step():
    """--interactive asks before each step and goes on when Enter is pressed."""
    result = invoke("run", "fallback", "--virtual-time", "--interactive", stdin="\n" * 10)
    assert result.exit_code == 0
    assert result.stdout.count("press Enter to run this step") == 6


def test_an_unknown_scenario_is_a_usage_error():
    """A name that is neither a file nor a shipped scenario says so, exit 2."""
    result = invoke("run", "nosuch")
    assert result.exit_code == 2
    assert "nosuch" in result.stderr


def test_scenarios_lists_the_shipped_ones():
    """`scenarios --json` lists the eight shipped scenarios with their titles."""
    result = invoke("scenarios", "--json")
    names = [item["name"] for item in json.loads(result.stdout)["scenarios"]]
    assert names == sorted(
        [
            "bulkhead-rate-limit",
            "ci-smoke",
            "circuit-breaker",
            "compare-presets",
            "fallback",
            "stress-demo",
            "timeout-retry",
            "tour",
        ]
    )
    table = invoke("scenarios")
    assert "The tour" in table.stdout


def test_schema_is_a_json_schema():
    """`schema` prints a JSON Schema that knows the top-level keys and the step kinds."""
    schema = json.loads(invoke("schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"version", "title", "steps", "finally"} <= set(schema["properties"])


def test_seed_override_and_target_url_conflict(in_tmp):
    """A scenario whose target is a URL cannot run in virtual time: usage error."""
    (in_tmp / "remote.yaml").write_text(
        FAILING.replace("title:", "target: http://127.0.0.1:9\ntitle:")
    )
    result = invoke("run", "remote.yaml", "--virtual-time", "--seed", "3")
    assert result.exit_code == 2
    assert "--virtual-time" in result.stderr


def test_a_deeply_nested_file_is_exit_2(in_tmp):
    """YAML nested too deeply to read is an invalid file (exit 2), not a crash."""
    (in_tmp / "deep.yaml").write_text("[" * 100_000)
    result = invoke("validate", "deep.yaml")
    assert result.exit_code == 2
    assert "deep.yaml:1:1 nested too deeply to be a scenario" in result.stderr


def test_every_problem_line_keeps_its_place(in_tmp):
    """With several problems, `run` prints each on its own `error:` line, unwrapped."""
    step = '  - invoke: {count: 1, concurency: 2, mix: "/get:1", atempts: 3}\n'
    (in_tmp / "bad.yaml").write_text("version: 1\ntitle: t\nsteps:\n" + step)
    result = invoke("run", "bad.yaml")
    lines = result.stderr.splitlines()
    assert result.exit_code == 2
    assert len(lines) == 2
    assert all(line.startswith("error: bad.yaml:4:") for line in lines)
    assert "did you mean 'concurrency'?" in lines[0]


def test_validate_names_a_shipped_scenario_as_given_on_one_line(monkeypatch):
    """`validate tour` says `ok: tour: ...` in one unwrapped line, not the package's path."""
    monkeypatch.setenv("COLUMNS", "60")
    result = runner.invoke(app, ["validate", "tour"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: tour: The tour")
    assert result.stdout.count("\n") == 1
    document = json.loads(runner.invoke(app, ["validate", "tour", "--json"]).stdout)
    assert document["files"][0]["file"] == "tour"


def test_a_step_that_could_not_run_is_one_error_line_on_stderr(tmp_path):
    """A foreign state file stops `run` with exit 2, and stderr says which step and why."""
    foreign = tmp_path / "package.json"
    foreign.write_text('{"name": "mine"}\n')
    result = runner.invoke(app, ["run", "fallback", "--virtual-time", "--state-file", str(foreign)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: fallback: step '1-reset' could not run: state file")
    assert foreign.read_text() == '{"name": "mine"}\n'

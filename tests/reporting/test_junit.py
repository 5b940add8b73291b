import xml.etree.ElementTree as ET

import pytest

from resilience_cli.clock import SystemClock
from resilience_cli.measure import StepStatus
from resilience_cli.reporting.junit import junit_xml
from resilience_cli.scenarios import parse_scenario
from resilience_cli.scenarios.runner import run_scenario
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget

TWO_STEPS = """\
version: 1
title: two steps, two expectations each
steps:
  - name: first
    error: {count: 3}
    expect:
      calls: count == 3
      breaker.state: closed
  - name: second
    invoke: {count: 2, mix: "/get:1"}
    expect:
      calls: count == 2
      outcome.success: rate == 1
"""


@pytest.mark.real_time
async def test_a_step_that_could_not_run_gives_its_time_once(tmp_path):
    """An errored step's time is on its first testcase; skipped steps' testcases take 0."""
    clock = SystemClock()
    holder = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    store = JsonFileStore(tmp_path / "breaker.json", lock_timeout=0.2, clock=clock)
    with holder.transaction():
        report = await run_scenario(
            parse_scenario(TWO_STEPS, "two.yaml"),
            source="scenarios/two.yaml",
            clock=clock,
            store=store,
            target_for=lambda: InProcessTarget(0, clock.wall),
        )
    assert [step.status for step in report.steps] == [StepStatus.ERROR, StepStatus.SKIPPED]
    suite = ET.fromstring(junit_xml([report]).split("\n", 1)[1]).find("testsuite")  # noqa: S314
    assert suite is not None
    assert (suite.get("name"), suite.get("file")) == ("two", "scenarios/two.yaml")
    cases = suite.findall("testcase")
    assert [case.get("classname") for case in cases] == ["two.first"] * 2 + ["two.second"] * 2
    assert [case.get("time") for case in cases] == [f"{report.steps[0].elapsed:.3f}"] + [
        "0.000"
    ] + ["0"] * 2
    assert float(cases[0].get("time")) > 0
    assert [len(case.findall("error")) for case in cases] == [1, 1, 0, 0]
    assert [len(case.findall("skipped")) for case in cases] == [0, 0, 1, 1]

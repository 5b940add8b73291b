import asyncio
import xml.etree.ElementTree as ET

import pytest

from resilience_cli.clock import SystemClock
from resilience_cli.measure import StepStatus
from resilience_cli.reporting.junit import junit_xml
from resilience_cli.scenarios import parse_scenario
from resilience_cli.scenarios.runner import ScenarioReport, run_scenario
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


ONE_STEP = """\
version: 1
title: one step, judged by one expectation
steps:
  - name: first
    error: {count: 3}
    expect:
      calls: count == 3
"""


async def test_a_step_interrupted_while_waiting_for_the_lock_is_skipped_not_a_crash(
    clock, tmp_path
):
    """Ctrl-C while a step waits for the state lock: JUnit skips its cases, with its time once.

    The step was never judged, so it has no verdicts; the report used to pair them with
    its expectations and fail with a ValueError, so `--junit` wrote nothing and the run
    exited 3 instead of 130.
    """
    holder = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    store = JsonFileStore(tmp_path / "breaker.json", lock_timeout=60, clock=clock)
    running: list[asyncio.Task[ScenarioReport]] = []

    def note(message: str) -> None:
        if message.startswith("waiting for another resilience command"):
            running[0].cancel()  # Ctrl-C, once the step stands waiting

    with holder.transaction():
        running.append(
            asyncio.create_task(
                run_scenario(
                    parse_scenario(ONE_STEP, "one.yaml"),
                    source="one.yaml",
                    clock=clock,
                    store=store,
                    target_for=lambda: InProcessTarget(0, clock.wall),
                    note=note,
                )
            )
        )
        report = await running[0]
    assert [step.status for step in report.steps] == [StepStatus.INTERRUPTED]
    assert report.steps[0].verdicts == ()
    suite = ET.fromstring(junit_xml([report]).split("\n", 1)[1]).find("testsuite")  # noqa: S314
    assert suite is not None
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("1", "1", "0")
    (case,) = suite.findall("testcase")
    assert case.get("time") == f"{report.steps[0].elapsed:.3f}"
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "step interrupted before it was judged"

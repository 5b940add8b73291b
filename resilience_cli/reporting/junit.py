"""JUnit XML for CI: a testsuite per scenario, a testcase per expectation (`scenario.step`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from resilience_cli._version import __version__
from resilience_cli.measure import StepStatus
from resilience_cli.printable import printable
from resilience_cli.redact import redact
from resilience_cli.reporting.document import iso

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.scenarios.metrics import Verdict
    from resilience_cli.scenarios.runner import ScenarioReport, StepReport


def _suite_name(report: ScenarioReport) -> str:
    stem = report.source.replace("\\", "/").rsplit("/", 1)[-1]
    return stem.removesuffix(".yaml").removesuffix(".yml")


def junit_xml(reports: Sequence[ScenarioReport]) -> str:
    """JUnit XML: a testsuite per scenario, a testcase per expectation (`scenario.step`)."""
    suites = ET.Element("testsuites", name="resilience-cli")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        counts = _junit_suite(suites, report)
        for key, count in counts.items():
            totals[key] += count
    for key, count in totals.items():
        suites.set(key, str(count))
    ET.indent(suites)
    # XML 1.0 has no place for control characters, even escaped: a step name holding one
    # made the whole report unreadable. Shown as escapes, like everywhere else.
    body = printable(redact(ET.tostring(suites, encoding="unicode")), multiline=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _junit_suite(suites: ET.Element, report: ScenarioReport) -> dict[str, int]:
    scenario = _suite_name(report)
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=scenario,
        file=report.source,
        timestamp=iso(report.started_at) or "",
        time=f"{report.elapsed:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, text in (
        ("seed", str(report.scenario.seed)),
        ("target", report.target),
        ("virtual_time", str(report.virtual_time).lower()),
        ("tool_version", __version__),
    ):
        ET.SubElement(properties, "property", name=name, value=text)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for step in report.steps:
        classname = f"{scenario}.{step.step.name}"
        # A step's time goes on its first testcase only: viewers add the cases up, and a
        # step judged by three expectations took its time once, not three times.
        count = len(step.step.expectations)
        times = [step.elapsed, *[0.0] * (count - 1)] if count else []
        timed = [f"{elapsed:.3f}" for elapsed in times]
        if step.status is StepStatus.ERROR:
            why = {"type": "StepError", "message": step.error}
            counts["errors"] += _not_run(suite, classname, step, timed, why)
        elif step.status is StepStatus.SKIPPED:
            why = {"message": f"step not run: the run was {report.status.value}"}
            counts["skipped"] += _not_run(suite, classname, step, ["0"] * count, why)
        elif not step.verdicts:  # Ctrl-C while it waited for the state lock: never judged
            why = {"message": "step interrupted before it was judged"}
            counts["skipped"] += _not_run(suite, classname, step, timed, why)
        else:
            for verdict, elapsed in zip(step.verdicts, times, strict=True):
                counts["failures"] += _junit_case(suite, classname, elapsed, verdict)
        counts["tests"] += count
    for key, count in counts.items():
        suite.set(key, str(count))
    return counts


def _not_run(
    suite: ET.Element,
    classname: str,
    step: StepReport,
    times: Sequence[str],
    why: dict[str, str],
) -> int:
    """Add a testcase per expectation of a step that did not run; return how many.

    Each holds `<error>` (the step could not run) or `<skipped>` (it was not run, or was
    interrupted before it was judged), with the attributes `why`, and its time as written
    in `times`.
    """
    element = "error" if step.status is StepStatus.ERROR else "skipped"
    for expectation, time in zip(step.step.expectations, times, strict=True):
        case = ET.SubElement(
            suite,
            "testcase",
            classname=classname,
            name=f"{expectation.metric} {expectation.threshold}",
            time=time,
        )
        ET.SubElement(case, element, why)
    return len(times)


def _junit_case(suite: ET.Element, classname: str, elapsed: float, verdict: Verdict) -> int:
    """Add one testcase; return 1 if it is a failure."""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=classname,
        name=verdict.name,
        time=f"{elapsed:.3f}",
    )
    if verdict.passed:
        return 0
    observed = f"{verdict.observed_text}, expected {verdict.expected_text()}"
    if not verdict.strict:
        ET.SubElement(case, "system-out").text = f"advisory: {observed}"
        return 0
    failure = ET.SubElement(case, "failure", type="ThresholdFailed", message=observed)
    failure.text = f"{verdict.name}: {verdict.observed_text}"
    return 1

"""A scenario run for people (Rich), for machines (JSON), for CI (JUnit, job summary).

Every format has the same shape: the scenario, each step with its numbers and the
breaker around it, and each expectation with what was observed and whether it held.
Pure functions: nothing here prints or writes a file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePath
from typing import TYPE_CHECKING, Final

from rich.console import Group
from rich.rule import Rule
from rich.text import Text

from resilience_cli import palette
from resilience_cli._version import __version__
from resilience_cli.glyphs import UNICODE, Glyphs
from resilience_cli.printable import printable
from resilience_cli.redact import redact
from resilience_cli.reporting.document import breaker_document, iso, summary_document
from resilience_cli.reporting.render import plain, render_breaker, render_summary, state_text
from resilience_cli.view import View

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType

    from resilience_cli.scenarios.metrics import Verdict
    from resilience_cli.scenarios.model import Step
    from resilience_cli.scenarios.runner import ScenarioReport, StepReport

SCENARIO_SCHEMA: Final = "resilience-cli/scenario-run"
DOCUMENT_VERSION: Final = 1
_STATUS_STYLES: Final = {
    "passed": palette.GOOD,
    "failed": palette.BAD,
    "aborted": palette.BAD,
    "interrupted": palette.CAUTION,
    "skipped": palette.STRONG,
    "error": palette.BAD,
}


def expectation_name(verdict: Verdict) -> str:
    """`latency p(95) < 300ms`: the metric and the threshold, canonical."""
    return f"{verdict.metric} {verdict.threshold}"


def render_verdict(verdict: Verdict, *, glyphs: Glyphs = UNICODE) -> Text:
    """`✓ latency p(95) < 300ms  p(95)=212ms`, or ✗ with what was expected."""
    if verdict.passed:
        mark, style = glyphs.ok, palette.GOOD
    elif verdict.strict:
        mark, style = glyphs.fail, palette.BAD
    else:
        mark, style = glyphs.fail, palette.CAUTION
    line = Text.assemble((f"{mark} ", style), plain(expectation_name(verdict)), "  ")
    line.append_text(plain(verdict.observed_text, palette.STRONG if not verdict.passed else ""))
    if not verdict.passed:
        line.append_text(plain(f", expected {verdict.expected_text()}"))
        if not verdict.strict:
            line.append("  (advisory)")
        elif verdict.abort_on_fail:
            line.append("  (aborts the run)")
    return line


def render_step_header(
    section: str, index: int, total: int, step: Step, *, glyphs: Glyphs = UNICODE
) -> Rule:
    """A rule naming the step: `Step 2/7 · trip the breaker · error`."""
    where = f"Step {index + 1}/{total}" if section == "steps" else f"Finally {index + 1}/{total}"
    dot = glyphs.dot
    title = plain(f"{where} {dot} {step.name} {dot} {step.kind}", palette.STRONG)
    # The line in the foreground colour: Rich's bright green vanishes on a white screen.
    return Rule(title, align="left", style=palette.PLAIN)


def render_step(report: StepReport, *, glyphs: Glyphs = UNICODE, view: View = View.FULL) -> Group:
    """A step's numbers (or its breaker panel) and its verdicts."""
    parts: list[RenderableType] = []
    if report.summary is not None:
        parts.append(render_summary(report.summary, glyphs=glyphs, view=view))
    elif report.after is not None:
        if report.step.kind == "pause":
            parts.append(Text(f"paused {report.elapsed:.3f} s"))
        parts.append(
            render_breaker(
                report.after,
                report.transitions,
                title="Circuit breaker",
                glyphs=glyphs,
                view=view,
            )
        )
    else:
        parts.append(Text(report.status.value, style=_STATUS_STYLES[report.status.value]))
    if report.error:
        parts.append(plain(f"could not run: {report.error}", palette.BAD))
    parts.extend(render_verdict(verdict, glyphs=glyphs) for verdict in report.verdicts)
    return Group(*parts)


def render_scenario_end(
    report: ScenarioReport, *, glyphs: Glyphs = UNICODE, view: View = View.FULL
) -> Group:
    """The verdict block: a rule naming the scenario, every expectation, then the outcome.

    The outcome is one short line (`PASSED  13 of 13 expectations held, ...`) without the
    title, which is on the rule above it: a CI log greps it whole, and it fits 100 columns.
    The compact view lists only the expectations that did not hold: each step showed its
    own already.
    """
    verdicts = report.verdicts
    heading = Text.assemble(
        ("Expectations", palette.STRONG),
        f" {glyphs.dot} ",
        plain(report.scenario.title, palette.STRONG),
    )
    parts: list[RenderableType] = [Rule(heading, align="left", style=palette.PLAIN)]
    listed = verdicts if view is View.FULL else [v for v in verdicts if not v.passed]
    if listed:
        parts.extend(render_verdict(verdict, glyphs=glyphs) for verdict in listed)
    elif not verdicts:
        parts.append(Text("(none)"))
    failed = sum(1 for verdict in verdicts if verdict.strict and not verdict.passed)
    skipped = sum(1 for step in report.steps if step.status.value == "skipped")
    status = report.status.value
    outcome = Text.assemble(
        (status.upper(), _STATUS_STYLES[status]),
        f"  {len(verdicts) - failed} of {len(verdicts)} expectations held,"
        f" {len(report.steps)} steps ({skipped} skipped) in {report.elapsed:.3f} s",
        " of virtual time" if report.virtual_time else "",
    )
    if report.steps and report.steps[-1].after is not None:
        outcome.append("; breaker ")
        outcome.append_text(state_text(report.steps[-1].after.state))
    parts.append(outcome)
    return Group(*parts)


def _verdict_document(verdict: Verdict) -> dict[str, object]:
    return {
        "metric": verdict.metric,
        "threshold": str(verdict.threshold),
        "observed": verdict.observed,
        "observed_text": verdict.observed_text,
        "passed": verdict.passed,
        "strict": verdict.strict,
        "abort_on_fail": verdict.abort_on_fail,
    }


def _step_document(report: StepReport) -> dict[str, object]:
    return {
        "section": report.section,
        "name": report.step.name,
        "kind": report.step.kind,
        "status": report.status.value,
        "elapsed_s": round(report.elapsed, 6),
        "summary": None if report.summary is None else summary_document(report.summary),
        "breaker": {
            "before": None if report.before is None else breaker_document(report.before),
            "after": None if report.after is None else breaker_document(report.after),
            "transitions": [
                {
                    "from": t.from_state.value,
                    "to": t.to_state.value,
                    "at": iso(t.at),
                    "reason": t.reason,
                }
                for t in report.transitions
            ],
        },
        "expectations": [_verdict_document(verdict) for verdict in report.verdicts],
        "error": report.error or None,
    }


def scenario_document(report: ScenarioReport) -> dict[str, object]:
    """One scenario run as JSON-able data."""
    verdicts = report.verdicts
    return {
        "title": report.scenario.title,
        "file": report.source,
        "seed": report.scenario.seed,
        "target": report.target,
        "virtual_time": report.virtual_time,
        "status": report.status.value,
        "exit_code": report.exit_code,
        "started_at": iso(report.started_at),
        "elapsed_s": round(report.elapsed, 6),
        "expectations": {
            "total": len(verdicts),
            "failed": sum(1 for v in verdicts if v.strict and not v.passed),
            "advisory_failed": sum(1 for v in verdicts if not v.strict and not v.passed),
        },
        "steps": [_step_document(step) for step in report.steps],
    }


def runs_document(reports: Sequence[ScenarioReport]) -> dict[str, object]:
    """`resilience run --json`: every scenario run, and the overall exit code."""
    return {
        "schema": SCENARIO_SCHEMA,
        "version": DOCUMENT_VERSION,
        "tool_version": __version__,
        "exit_code": overall_exit_code(reports),
        "runs": [scenario_document(report) for report in reports],
    }


def overall_exit_code(reports: Sequence[ScenarioReport]) -> int:
    """Interrupted wins, then a step that could not run (3, 2), then failed, then passed."""
    codes = {report.exit_code for report in reports}
    for code in (130, 3, 2, 1):
        if code in codes:
            return code
    return 0


def _suite_name(report: ScenarioReport) -> str:
    # The system's own rules: on Windows `scenarios\ci-smoke.yaml` is `ci-smoke` too.
    name = PurePath(report.source).name
    return name.removesuffix(".yaml").removesuffix(".yml")


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
        if step.status.value == "error":
            for expectation in step.step.expectations:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=classname,
                    name=f"{expectation.metric} {expectation.threshold}",
                    time=f"{step.elapsed:.3f}",
                )
                ET.SubElement(case, "error", type="StepError", message=step.error)
                counts["tests"] += 1
                counts["errors"] += 1
            continue
        if step.status.value == "skipped":
            for expectation in step.step.expectations:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=classname,
                    name=f"{expectation.metric} {expectation.threshold}",
                    time="0",
                )
                message = f"step not run: the run was {report.status.value}"
                ET.SubElement(case, "skipped", message=message)
                counts["tests"] += 1
                counts["skipped"] += 1
            continue
        for verdict in step.verdicts:
            counts["tests"] += 1
            counts["failures"] += _junit_case(suite, classname, step.elapsed, verdict)
    for key, count in counts.items():
        suite.set(key, str(count))
    return counts


def _junit_case(suite: ET.Element, classname: str, elapsed: float, verdict: Verdict) -> int:
    """Add one testcase; return 1 if it is a failure."""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=classname,
        name=expectation_name(verdict),
        time=f"{elapsed:.3f}",
    )
    if verdict.passed:
        return 0
    observed = f"{verdict.observed_text}, expected {verdict.expected_text()}"
    if not verdict.strict:
        ET.SubElement(case, "system-out").text = f"advisory: {observed}"
        return 0
    failure = ET.SubElement(case, "failure", type="ThresholdFailed", message=observed)
    failure.text = f"{expectation_name(verdict)}: {verdict.observed_text}"
    return 1


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def github_summary(reports: Sequence[ScenarioReport]) -> str:
    """GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY`: verdicts, then steps."""
    lines: list[str] = []
    for report in reports:
        status = report.status.value
        icon = {"passed": "✅", "interrupted": "⏹️"}.get(status, "❌")
        lines += [f"### {icon} {_cell(report.scenario.title)}: {status}", ""]
        virtual = " · virtual time" if report.virtual_time else ""
        lines += [
            (
                f"`{report.source}` · seed {report.scenario.seed} · {report.target}{virtual}"
                f" · {report.elapsed:.3f} s"
            ),
            "",
        ]
        if report.verdicts:
            lines += ["| | step | expectation | observed |", "|---|---|---|---|"]
            for step in report.steps:
                for verdict in step.verdicts:
                    mark = "✅" if verdict.passed else ("❌" if verdict.strict else "⚠️")
                    lines.append(
                        f"| {mark} | {_cell(step.step.name)} | `{_cell(expectation_name(verdict))}`"
                        f" | {_cell(verdict.observed_text)} |"
                    )
            lines.append("")
        lines += [
            "| step | kind | status | calls | fallbacks | breaker |",
            "|---|---|---|---|---|---|",
        ]
        for step in report.steps:
            calls = "" if step.summary is None else str(step.summary.total.calls)
            fallbacks = "" if step.summary is None else str(step.summary.total.fallbacks)
            breaker = "" if step.after is None else step.after.state.value
            lines.append(
                f"| {_cell(step.step.name)} | {step.step.kind} | {step.status.value}"
                f" | {calls} | {fallbacks} | {breaker} |"
            )
        lines.append("")
    return printable(redact("\n".join(lines)), multiline=True)

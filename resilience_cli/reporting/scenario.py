"""A scenario run for people: a rule per step, its numbers, its verdicts, then the outcome.

The same run for machines is `scenario_document` (JSON), `junit` (JUnit XML) and `github`
(the job summary). Pure functions: nothing here prints or writes a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich.console import Group
from rich.rule import Rule
from rich.text import Text

from resilience_cli import palette
from resilience_cli.glyphs import UNICODE, Glyphs
from resilience_cli.measure import RunStatus, StepStatus
from resilience_cli.reporting.compare import render_comparison
from resilience_cli.reporting.render import plain, render_breaker, render_summary, state_text
from resilience_cli.reporting.stress_summary import render_stress
from resilience_cli.view import View

if TYPE_CHECKING:
    from rich.console import RenderableType

    from resilience_cli.scenarios.metrics import Verdict
    from resilience_cli.scenarios.model import Step
    from resilience_cli.scenarios.runner import ScenarioReport, StepReport

STEP_STYLES: Final = {
    StepStatus.PASSED: palette.GOOD,
    StepStatus.FAILED: palette.BAD,
    StepStatus.SKIPPED: palette.STRONG,
    StepStatus.INTERRUPTED: palette.CAUTION,
    StepStatus.ERROR: palette.BAD,
}
RUN_STYLES: Final = {
    RunStatus.PASSED: palette.GOOD,
    RunStatus.FAILED: palette.BAD,
    RunStatus.ABORTED: palette.BAD,
    RunStatus.INTERRUPTED: palette.CAUTION,
    RunStatus.ERROR: palette.BAD,
}


def render_verdict(verdict: Verdict, *, glyphs: Glyphs = UNICODE) -> Text:
    """`✓ latency p(95) < 300ms  p(95)=212ms`, or ✗ with what was expected."""
    if verdict.passed:
        mark, style = glyphs.ok, palette.GOOD
    elif verdict.strict:
        mark, style = glyphs.fail, palette.BAD
    else:
        mark, style = glyphs.fail, palette.CAUTION
    line = Text.assemble((f"{mark} ", style), plain(verdict.name), "  ")
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
        if report.stress is not None and report.step.stress is not None:
            phases = " ".join(report.step.stress.phases)
            parts.append(render_stress(report.stress, phases=phases, glyphs=glyphs, view=view))
    elif report.comparison is not None:
        parts.append(render_comparison(report.comparison))
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
        parts.append(Text(report.status.value, style=STEP_STYLES[report.status]))
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
    skipped = sum(1 for step in report.steps if step.status is StepStatus.SKIPPED)
    status = report.status
    outcome = Text.assemble(
        (status.value.upper(), RUN_STYLES[status]),
        f"  {len(verdicts) - failed} of {len(verdicts)} expectations held,"
        f" {len(report.steps)} steps ({skipped} skipped) in {report.elapsed:.3f} s",
        " of virtual time" if report.virtual_time else "",
    )
    if report.steps and report.steps[-1].after is not None:
        outcome.append("; breaker ")
        outcome.append_text(state_text(report.steps[-1].after.state))
    if status is RunStatus.INTERRUPTED:
        outcome.append("; finally ran, state saved")
    parts.append(outcome)
    return Group(*parts)

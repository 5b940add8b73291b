"""The job summary for GitHub Actions (`$GITHUB_STEP_SUMMARY`): verdicts, then steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from resilience_cli.measure import RunStatus
from resilience_cli.printable import printable
from resilience_cli.redact import redact

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.scenarios.runner import ScenarioReport

_ICONS: Final = {RunStatus.PASSED: "✅", RunStatus.INTERRUPTED: "⏹️"}  # any other: ❌


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def github_summary(reports: Sequence[ScenarioReport]) -> str:
    """GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY`: verdicts, then steps."""
    lines: list[str] = []
    for report in reports:
        icon = _ICONS.get(report.status, "❌")
        lines += [f"### {icon} {_cell(report.scenario.title)}: {report.status.value}", ""]
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
                        f"| {mark} | {_cell(step.step.name)} | `{_cell(verdict.name)}`"
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

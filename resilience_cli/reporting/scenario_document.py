"""`resilience run --json`: every scenario run as one stable, versioned document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from resilience_cli._version import __version__
from resilience_cli.errors import EXIT_INTERRUPTED
from resilience_cli.reporting.compare import comparison_document
from resilience_cli.reporting.document import breaker_document, iso, summary_document
from resilience_cli.scenarios.runner import overall_exit_code

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.scenarios.metrics import Verdict
    from resilience_cli.scenarios.runner import ScenarioReport, StepReport

SCENARIO_SCHEMA: Final = "resilience-cli/scenario-run"
DOCUMENT_VERSION: Final = 1


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
        "comparison": None if report.comparison is None else comparison_document(report.comparison),
        "expectations": [_verdict_document(verdict) for verdict in report.verdicts],
        "error": report.error or None,
    }


def scenario_document(
    report: ScenarioReport, *, interrupted_exit: int = EXIT_INTERRUPTED
) -> dict[str, object]:
    """One scenario run as JSON-able data."""
    verdicts = report.verdicts
    return {
        "title": report.scenario.title,
        "file": report.source,
        "seed": report.scenario.seed,
        "target": report.target,
        "virtual_time": report.virtual_time,
        "status": report.status.value,
        "exit_code": _exit_code(report.exit_code, interrupted_exit),
        "started_at": iso(report.started_at),
        "elapsed_s": round(report.elapsed, 6),
        "expectations": {
            "total": len(verdicts),
            "failed": sum(1 for v in verdicts if v.strict and not v.passed),
            "advisory_failed": sum(1 for v in verdicts if not v.strict and not v.passed),
        },
        "steps": [_step_document(step) for step in report.steps],
    }


def runs_document(
    reports: Sequence[ScenarioReport], *, interrupted_exit: int = EXIT_INTERRUPTED
) -> dict[str, object]:
    """`resilience run --json`: every scenario run, and the overall exit code.

    `interrupted_exit` is the code an interrupted run exits with: 130 for Ctrl-C, 143 for
    SIGTERM, 129 for SIGHUP, so that the document says what the shell saw.
    """
    return {
        "schema": SCENARIO_SCHEMA,
        "version": DOCUMENT_VERSION,
        "tool_version": __version__,
        "exit_code": _exit_code(overall_exit_code(reports), interrupted_exit),
        "runs": [
            scenario_document(report, interrupted_exit=interrupted_exit) for report in reports
        ],
    }


def _exit_code(code: int, interrupted_exit: int) -> int:
    return interrupted_exit if code == EXIT_INTERRUPTED else code

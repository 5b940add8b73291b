import io
import json
from types import SimpleNamespace

import pytest
from rich.console import Console

from resilience_cli import reporting
from resilience_cli.measure import RunStatus, RunTally, StepStatus, percentile, summarize
from resilience_cli.patterns import (
    AttemptRecord,
    BreakerState,
    CallOutcome,
    Failure,
    OutcomeKind,
    Policies,
    Reason,
    Transition,
)
from resilience_cli.reporting import junit, render_breaker, render_summary, summary_document
from resilience_cli.reporting.document import state_document
from resilience_cli.reporting.scenario import RUN_STYLES, STEP_STYLES
from resilience_cli.request import Request
from resilience_cli.run import CallResult, RunPlan, RunResult
from resilience_cli.state.breaker import BreakerView

GET = Request("/get")
ERR = Request("/status/500")
FAIL = Failure(Reason.HTTP_5XX, retryable=True)
WALL = 1_767_225_600.0


def outcome(kind, duration, *failures, reason=None) -> CallOutcome:
    attempts = tuple(AttemptRecord(i + 1, 0.01, f) for i, f in enumerate(failures))
    return CallOutcome(kind, None, reason, attempts, duration)


def tally(calls) -> RunTally:
    counted = RunTally()
    for each in calls:
        counted.add(each.request.label, each.outcome)
    return counted


def result(**overrides) -> RunResult:
    calls = (
        CallResult(GET, 0.0, outcome(OutcomeKind.SUCCESS, 0.010, None)),
        CallResult(GET, 0.1, outcome(OutcomeKind.RECOVERED, 0.250, FAIL, None)),
        CallResult(
            ERR, 0.2, outcome(OutcomeKind.FALLBACK, 0.500, FAIL, FAIL, FAIL, reason=Reason.HTTP_5XX)
        ),
        CallResult(ERR, 0.3, outcome(OutcomeKind.FALLBACK, 0.001, reason=Reason.BREAKER_OPEN)),
    )
    values = {
        "plan": RunPlan(
            calls=(GET, GET, ERR, ERR, ERR), policies=Policies(), concurrency=2, seed=7
        ),
        "tally": tally(calls),
        "before": BreakerView(BreakerState.CLOSED, 0, None, None),
        "after": BreakerView(BreakerState.OPEN, 5, WALL, 29.5),
        "transitions": (
            Transition(
                BreakerState.CLOSED,
                BreakerState.OPEN,
                WALL,
                "5 consecutive failures >= threshold 5, so OPEN",
            ),
        ),
        "bulkhead": None,
        "rate_limiter": None,
        "peak_in_flight": 2,
        "elapsed": 2.0,
        "interrupted": False,
        "target": "in-process",
    }
    return RunResult(**(values | overrides))


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 50, 0.0),
        ([1.0], 99, 1.0),
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4], 75, 3),
        ([1, 2, 3, 4], 100, 4),
        ([float(i) for i in range(1, 101)], 7, 7.0),  # 0.07 * 100 is 7.000000000000001
        ([float(i) for i in range(1, 101)], 0.001, 1.0),
    ],
)
def test_percentile_is_nearest_rank(values, fraction, expected):
    """The exact nearest rank of a sorted list (what the histogram estimates); none gives 0."""
    assert percentile(values, fraction) == expected


def test_summary_counts_outcomes_retries_and_reasons():
    """The summary counts first-try successes, recoveries, retries and fallbacks by reason."""
    summary = summarize(result(), "invoke")
    total = summary.total
    assert (total.calls, total.succeeded, total.recovered, total.fallbacks) == (4, 1, 1, 2)
    assert total.retries == 1 + 2
    assert dict(summary.fallbacks_by_reason) == {Reason.HTTP_5XX: 1, Reason.BREAKER_OPEN: 1}
    assert dict(summary.failed_attempts_by_reason) == {Reason.HTTP_5XX: 4}
    assert summary.attempts == 6
    assert [row.label for row in summary.endpoints] == ["/get", "/status/500"]
    assert summary.achieved_rate == 2.0
    assert summary.total.latency.max == 500.0
    assert summary.planned == 5


def test_json_document_has_the_promised_keys():
    """--json carries calls, succeeded, recovered, retries, fallbacks, latency_ms and breaker."""
    document = summary_document(summarize(result(), "invoke"))
    json.dumps(document)  # JSON-able
    assert document["schema"] == "resilience-cli/run"
    assert document["version"] == 1
    for key in ("calls", "succeeded", "recovered", "retries", "fallbacks", "latency_ms", "breaker"):
        assert key in document
    assert document["fallbacks"] == {"http_5xx": 1, "breaker_open": 1}
    assert set(document["latency_ms"]) == {"p50", "p95", "p99", "max"}
    breaker = document["breaker"]
    assert breaker["before"]["state"] == "closed"
    assert breaker["after"] == {
        "state": "open",
        "fail_count": 5,
        "opened_at": "2026-01-01T00:00:00.000+00:00",
        "open_remaining_s": 29.5,
    }
    assert breaker["transitions"][0]["reason"].endswith("so OPEN")


def test_state_document_matches_the_demo_shape():
    """`state --json` gives state, fail_count and ISO opened_at, plus transitions."""
    view = BreakerView(BreakerState.FORCED_OPEN, 0, WALL, None)
    document = state_document(view, (), ".resilience/breaker.json")
    assert document["state"] == "forced_open"
    assert document["opened_at"] == "2026-01-01T00:00:00.000+00:00"
    assert document["fail_count"] == 0


def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_the_rich_summary_shows_rows_reasons_and_the_breaker():
    """The rendered report has one row per endpoint, the reasons, and the transition."""
    text = render(render_summary(summarize(result(), "invoke")))
    assert "resilience invoke: 4 of 5 calls against in-process (seed 7)" in text
    assert "/status/500" in text
    assert "breaker_open" in text
    assert "CLOSED → OPEN" in text
    assert "5 consecutive failures >= threshold 5, so OPEN" in text


def test_an_interrupted_run_says_so():
    """A partial summary ends with a line saying the run was interrupted."""
    text = render(render_summary(summarize(result(interrupted=True), "invoke")))
    assert "interrupted" in text


def test_the_breaker_panel_shows_time_to_half_open():
    """The breaker panel shows state, fail count, opened_at and the time left."""
    text = render(render_breaker(BreakerView(BreakerState.OPEN, 5, WALL, 12.34), ()))
    assert "OPEN" in text
    assert "2026-01-01T00:00:00.000+00:00" in text
    assert "12.3 s" in text


def test_every_step_and_run_status_has_its_colour():
    """Each member of both status enums has a style: a new status cannot go unstyled."""
    assert set(STEP_STYLES) == set(StepStatus)
    assert set(RUN_STYLES) == set(RunStatus)
    assert all(type(status) is StepStatus for status in STEP_STYLES)
    assert all(type(status) is RunStatus for status in RUN_STYLES)


def test_a_junit_suite_is_named_after_the_file_whatever_the_separator():
    r"""`scenarios\ci-smoke.yaml` on Windows names its JUnit suite `ci-smoke`, as `/` does."""
    for source in (r"scenarios\ci-smoke.yaml", "scenarios/ci-smoke.yaml", "ci-smoke.yml"):
        report = SimpleNamespace(source=source)
        assert junit._suite_name(report) == "ci-smoke"


def test_the_package_names_only_what_it_exports():
    """A name the reporting package does not export is an AttributeError, as in any module."""
    with pytest.raises(AttributeError, match="no attribute 'render_everything'"):
        _ = reporting.render_everything

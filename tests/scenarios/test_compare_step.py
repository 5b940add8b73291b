"""The `compare` step: the run's calls replayed through presets, judged by expectations."""

import pytest

from resilience_cli.compare import PRESETS
from resilience_cli.errors import EXIT_USAGE
from resilience_cli.measure import RunStatus, StepStatus
from resilience_cli.reporting.scenario_document import scenario_document
from resilience_cli.scenarios import ScenarioError, parse_scenario
from resilience_cli.scenarios.metrics import Gauge, evaluate
from resilience_cli.scenarios.runner import run_scenario
from resilience_cli.scenarios.steps import PresetName
from resilience_cli.scenarios.thresholds import ThresholdError, parse_threshold
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget

HEAD = "version: 1\ntitle: t\nsteps:\n"  # steps start on line 4
# Failing calls, then good ones once our breaker (open 30 s) lets them reach the upstream.
CALLS = "  - error: {count: 20}\n  - pause: 40s\n  - invoke: {count: 10, mix: /get}\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "t.yaml")
    return str(caught.value).splitlines()


async def run(text: str, clock, tmp_path):
    scenario = parse_scenario(text, "t.yaml")
    return await run_scenario(
        scenario,
        source="t.yaml",
        clock=clock,
        store=JsonFileStore(tmp_path / "breaker.json", clock=clock),
        target_for=lambda: InProcessTarget(scenario.seed, clock.wall),
        virtual_time=True,
    )


def test_the_step_names_every_preset_there_is():
    """The schema's preset names are the presets `compare` knows, no more, no fewer."""
    assert set(PresetName.__args__) == set(PRESETS)


def test_a_threshold_may_name_another_metric():
    """`value < preset.pybreaker.let_through` compares with that metric."""
    threshold = parse_threshold("value < preset.pybreaker.let_through")
    assert threshold.reference
    assert threshold.value == "preset.pybreaker.let_through"
    assert str(threshold) == "value < preset.pybreaker.let_through"
    assert not parse_threshold("value == open").reference


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("count < preset.ours.sent", "can only be compared as 'value <op> preset.ours.sent'"),
        ("value < preset..sent", "is not a metric name"),
    ],
)
def test_a_bad_reference_says_why(text, message):
    """Another metric is compared by its value, and is spelt as a metric."""
    with pytest.raises(ThresholdError, match=message):
        parse_threshold(text)


def test_a_reference_with_no_data_fails_and_says_so():
    """The other metric never happened (it never opened): the expectation fails."""
    threshold = parse_threshold("value < preset.polly.time_to_open")
    metrics = {"preset.ours.time_to_open": Gauge(0.5, seconds=True)}
    verdict = evaluate("preset.ours.time_to_open", threshold, metrics)
    assert not verdict.passed
    assert verdict.observed_text == "no data in preset.polly.time_to_open"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "  - compare: {presets: [spring]}\n",
            "t.yaml:4:25 steps[0].compare.presets[0]: must be 'ours', 'demo', 'resilience4j',",
        ),
        (
            "  - compare: {}\n    expect: {preset.spring.sent: 1}\n",
            "unknown preset 'spring' in 'preset.spring.sent'",
        ),
        (
            "  - compare: {}\n    expect: {preset.ours.nope: 1}\n",
            "unknown field 'nope' in 'preset.ours.nope'",
        ),
        (
            "  - compare: {}\n    expect: {breaker.state: open}\n",
            "a compare step measures preset.<name>.<field> and elapsed, not 'breaker.state'",
        ),
        (
            "  - invoke: {}\n    expect: {preset.ours.sent: 1}\n",
            "'preset.ours.sent' is measured only on compare steps",
        ),
        (
            "  - compare: {}\n    expect: {preset.ours.sent: value < preset.ours.p99}\n",
            "'preset.ours.sent' and 'preset.ours.p99' are not the same kind of number",
        ),
        (
            "  - compare: {}\n    expect: {preset.ours.final_state: value == preset.ours.sent}\n",
            "are not the same kind of number",
        ),
        (
            (
                "  - compare: {}\n    expect:\n"
                "      preset.ours.final_state: value == preset.pybreaker.final_state\n"
            ),
            "'preset.ours.final_state' cannot be compared with another metric; only numbers can",
        ),
    ],
)
def test_a_compare_step_is_checked_before_it_runs(step, message):
    """Unknown presets, fields and metrics, and mismatched comparisons: file:line errors."""
    found = problems(HEAD + step)
    assert len(found) == 1
    assert message in found[0], found[0]


async def test_a_compare_step_judges_the_presets_on_the_calls_before_it(clock, tmp_path):
    """After 20 failing calls and 10 good ones, pybreaker lets 5 through, Resilience4j 60."""
    report = await run(
        HEAD
        + CALLS
        + "  - compare: {presets: [pybreaker, resilience4j]}\n"
        + "    expect:\n"
        + "      preset.pybreaker.let_through: [value == 5, value < preset.resilience4j.sent]\n"
        + "      preset.resilience4j.let_through: value == 60\n"
        + "      preset.pybreaker.final_state: open\n",
        clock,
        tmp_path,
    )
    assert report.status is RunStatus.PASSED, [v.observed_text for v in report.verdicts]
    step = report.steps[-1]
    assert step.comparison is not None
    assert [result.name for result in step.comparison.results] == ["pybreaker", "resilience4j"]
    document = scenario_document(report)
    compared = document["steps"][-1]["comparison"]
    assert compared["presets"]["pybreaker"]["let_through"] == 5


async def test_a_compare_step_with_no_calls_before_it_cannot_run(clock, tmp_path):
    """Nothing recorded yet: the step is an error (exit 2), with the reason."""
    report = await run(HEAD + "  - compare: {}\n", clock, tmp_path)
    assert report.steps[0].status is StepStatus.ERROR
    assert report.exit_code == EXIT_USAGE
    assert "needs calls before it" in report.steps[0].error

import asyncio

import pytest

from resilience_cli.cli.scenario_cmds import SHIPPED
from resilience_cli.clock import SystemClock
from resilience_cli.event_loops import event_loop_for
from resilience_cli.measure import RunStatus, StepStatus
from resilience_cli.scenarios import load_scenario, parse_scenario
from resilience_cli.scenarios.runner import run_scenario
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget
from resilience_cli.virtual_time import VirtualClock

SHIPPED_FILES = sorted(SHIPPED.glob("*.yaml"))


async def run(scenario, clock, tmp_path, **kwargs):
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    return await run_scenario(
        scenario,
        source="test.yaml",
        clock=clock,
        store=store,
        target_for=lambda faults=None: InProcessTarget(scenario.seed, clock.wall, faults),
        virtual_time=True,
        **kwargs,
    )


def test_eight_scenarios_are_shipped():
    """The walkthrough's five parts, the tour, the CI smoke run and the preset comparison."""
    assert {path.stem for path in SHIPPED_FILES} == {
        "stress-demo",
        "compare-presets",
        "circuit-breaker",
        "timeout-retry",
        "bulkhead-rate-limit",
        "fallback",
        "tour",
        "ci-smoke",
    }


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda path: path.stem)
async def test_every_shipped_scenario_passes_in_virtual_time(path, clock, tmp_path):
    """Each shipped scenario runs in virtual time with every expectation holding."""
    scenario = load_scenario(path)
    assert scenario.description, "a shipped scenario teaches what to watch for"
    report = await run(scenario, clock, tmp_path)
    failed = [
        f"{v.metric} {v.threshold}: {v.observed_text}" for v in report.verdicts if not v.passed
    ]
    assert failed == []
    assert report.status is RunStatus.PASSED
    assert report.exit_code == 0


def test_a_scenario_gives_the_same_result_every_time(tmp_path):
    """Two virtual runs of the CI smoke scenario agree on every observed value."""

    def observed(folder) -> list[object]:
        clock = VirtualClock()
        scenario = load_scenario(SHIPPED / "ci-smoke.yaml")
        with asyncio.Runner(loop_factory=lambda: event_loop_for(clock)) as runner:
            report = runner.run(run(scenario, clock, folder))
        return [(v.metric, v.observed) for v in report.verdicts] + [report.elapsed]

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert observed(tmp_path / "a") == observed(tmp_path / "b")


FAILING = """\
version: 1
title: failing
steps:
  - name: errors
    error: {count: 3}
    policies: {breaker: null}
    expect:
      outcome.success: rate == 1
  - name: still runs
    invoke: {count: 2, mix: "/get:1"}
    expect:
      outcome.success: rate == 1
finally:
  - reset: {}
"""

# As FAILING, with the breaker on in every step: each one takes the state lock.
LOCKING = FAILING.replace("    policies: {breaker: null}\n", "")


async def test_a_failed_expectation_fails_the_run_but_later_steps_still_run(clock, tmp_path):
    """A strict expectation that fails marks the run failed (exit 1); other steps go on."""
    report = await run(parse_scenario(FAILING, "f.yaml"), clock, tmp_path)
    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert [step.status for step in report.steps] == [
        StepStatus.FAILED,
        StepStatus.PASSED,
        StepStatus.PASSED,
    ]
    failed = report.steps[0].verdicts[0]
    assert failed.observed_text == "rate=0"


async def test_abort_on_fail_skips_the_rest_but_finally_runs(clock, tmp_path):
    """An abort_on_fail expectation that fails skips the remaining steps, then `finally`."""
    text = FAILING.replace(
        "outcome.success: rate == 1\n  - name: still",
        "outcome.success: [{threshold: rate == 1, abort_on_fail: true}]\n  - name: still",
        1,
    )
    report = await run(parse_scenario(text, "f.yaml"), clock, tmp_path)
    assert report.status is RunStatus.ABORTED
    assert report.exit_code == 1
    assert [step.status for step in report.steps] == [
        StepStatus.FAILED,
        StepStatus.SKIPPED,
        StepStatus.PASSED,
    ]


async def test_an_advisory_expectation_never_fails_the_run(clock, tmp_path):
    """`strict: false` is reported but leaves the run passed."""
    text = FAILING.replace(
        "outcome.success: rate == 1\n  - name: still",
        "outcome.success: [{threshold: rate == 1, strict: false}]\n  - name: still",
        1,
    )
    report = await run(parse_scenario(text, "f.yaml"), clock, tmp_path)
    assert report.status is RunStatus.PASSED
    assert not report.verdicts[0].passed


async def test_cancelling_mid_step_runs_finally_and_reports_interrupted(clock, tmp_path):
    """Ctrl-C during a pause stops the steps, runs `finally`, and reports interrupted."""
    text = """\
version: 1
title: long
steps:
  - force-open: {}
  - pause: 60s
  - invoke: {count: 1}
finally:
  - reset: {}
"""
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    scenario = parse_scenario(text, "long.yaml")
    task = asyncio.create_task(
        run_scenario(
            scenario,
            source="long.yaml",
            clock=clock,
            store=store,
            target_for=lambda: InProcessTarget(0, clock.wall),
        )
    )
    await asyncio.sleep(10)
    task.cancel()
    report = await task
    assert report.status is RunStatus.INTERRUPTED
    assert report.exit_code == 130
    assert [step.status for step in report.steps] == [
        StepStatus.PASSED,
        StepStatus.INTERRUPTED,
        StepStatus.SKIPPED,
        StepStatus.PASSED,
    ]
    saved = store.load()
    assert saved is not None
    assert saved["state"] == "closed"  # `finally: reset` ran


async def test_before_and_after_step_hooks_see_every_step(clock, tmp_path):
    """The hooks (used for --interactive and the live report) see each step in order."""
    seen: list[str] = []

    async def before(section: str, index: int, step) -> None:
        seen.append(f"before {section} {index} {step.kind}")

    def after(report) -> None:
        seen.append(f"after {report.step.kind}")

    await run(
        parse_scenario(FAILING, "f.yaml"), clock, tmp_path, before_step=before, after_step=after
    )
    assert seen == [
        "before steps 0 error",
        "after error",
        "before steps 1 invoke",
        "after invoke",
        "before finally 0 reset",
        "after reset",
    ]


async def test_a_held_lock_is_a_step_error_and_finally_still_runs(clock, tmp_path):
    """A step that cannot get the state lock errors (exit 3); the rest skip; finally runs."""
    holder = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    store = JsonFileStore(tmp_path / "breaker.json", lock_timeout=0, clock=clock)
    scenario = parse_scenario(LOCKING, "f.yaml")
    with holder.transaction():
        report = await run_scenario(
            scenario,
            source="f.yaml",
            clock=clock,
            store=store,
            target_for=lambda: InProcessTarget(0, clock.wall),
        )
    assert report.status is RunStatus.ERROR
    assert report.exit_code == 3
    assert [step.status for step in report.steps] == [
        StepStatus.ERROR,
        StepStatus.SKIPPED,
        StepStatus.ERROR,  # finally ran, and met the same held lock
    ]
    assert "still held" in report.steps[0].error


@pytest.mark.real_time
async def test_ctrl_c_while_waiting_for_the_lock_still_runs_finally(tmp_path):
    """Cancelled during a call step's lock wait: interrupted, and finally tries once."""
    clock = SystemClock()
    holder = JsonFileStore(tmp_path / "breaker.json")
    store = JsonFileStore(tmp_path / "breaker.json", lock_timeout=30)
    scenario = parse_scenario(LOCKING, "f.yaml")
    notes: list[str] = []
    waiting = asyncio.Event()

    def note(text: str) -> None:
        notes.append(text)
        waiting.set()

    with holder.transaction():
        task = asyncio.create_task(
            run_scenario(
                scenario,
                source="f.yaml",
                clock=clock,
                store=store,
                target_for=lambda: InProcessTarget(0, clock.wall),
                note=note,
            )
        )
        async with asyncio.timeout(10):  # on the note, not after a guess at how long it takes
            await waiting.wait()
        task.cancel()
        report = await task
    assert report.status is RunStatus.INTERRUPTED
    assert [step.status for step in report.steps] == [
        StepStatus.INTERRUPTED,
        StepStatus.SKIPPED,
        StepStatus.ERROR,  # one try at the lock, no 30 s wait
    ]
    assert notes
    assert notes[0].startswith("waiting for another resilience command")

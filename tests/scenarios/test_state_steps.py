"""Scenario steps touch the state file exactly as their one-liners do."""

import json

import pytest

from resilience_cli.measure import RunStatus, StepStatus
from resilience_cli.scenarios import parse_scenario
from resilience_cli.scenarios.runner import run_scenario
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget

PACKAGE_JSON = b'{"name": "my-package", "version": "1.0.0"}\n'


async def run_text(text, clock, store, **kwargs):
    scenario = parse_scenario(text, "s.yaml")
    return await run_scenario(
        scenario,
        source="s.yaml",
        clock=clock,
        store=store,
        target_for=lambda: InProcessTarget(scenario.seed, clock.wall),
        virtual_time=True,
        **kwargs,
    )


def scenario(*steps: str) -> str:
    return "version: 1\ntitle: t\nsteps:\n" + "".join(f"  - {step}\n" for step in steps)


@pytest.fixture
def store(tmp_path, clock):
    """The default layout, `.resilience/breaker.json`, holding an OPEN breaker."""
    path = tmp_path / ".resilience" / "breaker.json"
    return JsonFileStore(path, lock_timeout=0, clock=clock)


async def open_breaker(clock, store) -> bytes:
    report = await run_text(scenario("error: {count: 20}"), clock, store)
    assert report.steps[0].after.state == "open"
    return store.path.read_bytes()


@pytest.mark.parametrize("step", ["'state': {}", "pause: 1s"], ids=["state", "pause"])
async def test_state_and_pause_steps_only_read(clock, store, step):
    """A `state` or `pause` step takes no lock and never rewrites the file, as `state` does."""
    before = await open_breaker(clock, store)
    text = scenario(f"{step}\n    expect: {{breaker.state: open}}")

    with JsonFileStore(store.path).transaction():  # another command holds the lock
        report = await run_text(text, clock, store)

    assert report.status is RunStatus.PASSED, report.steps[0].error
    assert store.path.read_bytes() == before


async def test_a_state_step_sees_the_half_open_that_time_made_without_writing_it(clock, store):
    """After the open wait, a `state` step reports half_open and its transition; nothing saved."""
    before = await open_breaker(clock, store)
    clock.jump(31)

    report = await run_text(
        scenario("'state': {}\n    expect: {breaker.state: half_open, breaker.half_opened: 1}"),
        clock,
        store,
    )

    assert report.status is RunStatus.PASSED
    assert store.path.read_bytes() == before


async def test_a_reset_step_replaces_a_corrupt_file_in_the_state_folder(clock, store):
    """A `reset` step is `resilience reset`: a corrupt file of ours is replaced by CLOSED."""
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"breaker": {"sta')
    notes: list[str] = []

    report = await run_text(scenario("reset: {}"), clock, store, note=notes.append)

    assert report.status is RunStatus.PASSED, report.steps[0].error
    assert json.loads(store.path.read_text())["breaker"]["state"] == "closed"
    assert len(notes) == 1
    assert notes[0].startswith("replaced the unreadable state file: is not valid JSON")


async def test_a_reset_step_logs_what_the_reset_command_logs(clock, store):
    """Replacing a broken file, then resetting a closed breaker: the command's two log lines."""
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"breaker": {"sta')
    lines: list[tuple[str, dict]] = []

    def log_line(event, /, **fields):
        lines.append((event, fields))

    await run_text(scenario("reset: {}", "reset: {}"), clock, store, log_line=log_line)

    assert [event for event, _ in lines] == ["state.replaced", "breaker.reset", "breaker.reset"]
    assert lines[0][1]["state_file"] == str(store.path)
    assert lines[0][1]["problem"].startswith("is not valid JSON")


async def test_a_reset_step_leaves_a_foreign_file_alone(tmp_path, clock):
    """The same rule as the command: someone's JSON is an exit-2 step error, and stays as it was."""
    path = tmp_path / "package.json"
    path.write_bytes(PACKAGE_JSON)
    store = JsonFileStore(path, lock_timeout=0, clock=clock)

    report = await run_text(scenario("reset: {}"), clock, store)

    assert report.status is RunStatus.ERROR
    assert report.exit_code == 2
    assert report.steps[0].status is StepStatus.ERROR
    assert "resilience reset" not in report.steps[0].error
    assert path.read_bytes() == PACKAGE_JSON


async def test_a_step_with_the_breaker_off_leaves_the_state_file_untouched(clock, store):
    """`breaker: null`: no lock, no write, and a window wider than 20 keeps every call."""
    wide = (
        "policies: {retry: {attempts: 1},"
        " breaker: {window_size: 40, minimum_calls: 40, failure_threshold: null}}"
    )
    report = await run_text(scenario(f"error: {{count: 30}}\n    {wide}"), clock, store)
    assert report.status is RunStatus.PASSED
    before = store.path.read_bytes()
    assert json.loads(before)["breaker"]["window"] == "x" * 30

    with JsonFileStore(store.path).transaction():  # another command holds the lock
        report = await run_text(
            scenario("error: {count: 3}\n    policies: {breaker: null}"), clock, store
        )

    assert report.status is RunStatus.PASSED, report.steps[0].error
    assert store.path.read_bytes() == before

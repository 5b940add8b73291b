"""The tour runs each part exactly as the walkthrough's one-liners do.

Every step of `scenarios/tour.yaml` names, in the comment above it, the one-liner it
stands for. Both are run here on one virtual clock (the tour in one folder, the one-liners
in another, a pause being a jump of that clock), and every step must match its
one-liner's numbers: same calls, same outcomes, same attempts, the same breaker after.
The one-liners get `--open-for 5`, the one difference the tour declares.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
from typer.testing import CliRunner

from resilience_cli import clock as clock_module
from resilience_cli.cli import app, runtime
from resilience_cli.cli.scenario_cmds import SHIPPED
from resilience_cli.scenarios import load_scenario
from resilience_cli.scenarios.steps import PauseSettings
from resilience_cli.virtual_time import VirtualClock, WallOrigin

TOUR = SHIPPED / "tour.yaml"
CALL_COMMANDS = ("invoke", "delay", "error")
COMPARED = ("calls", "succeeded", "recovered", "fallbacks", "failed", "retries", "attempts")


def one_liners() -> list[str | None]:
    """The one-liner above each step, in order (`finally` too); None above a pause."""
    found: list[str | None] = []
    pending: str | None = None
    for line in TOUR.read_text(encoding="utf-8").splitlines():
        comment = re.fullmatch(r"\s*# (resilience .*)", line)
        if comment:
            pending = comment.group(1)
        elif re.match(r"  - ", line):
            found.append(pending)
            pending = None
    return found


@pytest.fixture
def shared_clock(monkeypatch) -> VirtualClock:
    """One virtual clock for every command of the test, so time carries from one to the next.

    `state`, `force-open` and `reset` read the system clock: they get this one too.
    """
    clock = VirtualClock(wall_origin=WallOrigin.NOW)
    monkeypatch.setattr(runtime, "choose_clock", lambda **_: clock)
    monkeypatch.setattr(clock_module, "SystemClock", lambda: clock)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    return clock


def test_every_step_of_the_tour_names_its_one_liner():
    """Each tour step but the pause has a `# resilience ...` comment of its own kind."""
    scenario = load_scenario(TOUR)
    steps = [step for _, step in scenario.sections()]
    lines = one_liners()
    assert len(lines) == len(steps)
    for step, line in zip(steps, lines, strict=True):
        if isinstance(step.settings, PauseSettings):
            assert line is None
        else:
            assert line is not None, step.name
            assert shlex.split(line)[1] == step.kind, step.name


def test_the_tour_matches_its_one_liners(shared_clock, tmp_path, monkeypatch):
    """Step by step, the tour's numbers are those of the one-liners run in the same order."""
    runner = CliRunner()
    (tmp_path / "tour").mkdir()
    (tmp_path / "lines").mkdir()
    monkeypatch.chdir(tmp_path / "tour")
    toured = runner.invoke(app, ["run", "tour", "--virtual-time", "--json"])
    assert toured.exit_code == 0, toured.output
    steps = json.loads(toured.stdout)["runs"][0]["steps"]

    monkeypatch.chdir(tmp_path / "lines")
    scenario = load_scenario(TOUR)
    for step, line, report in zip(
        [step for _, step in scenario.sections()], one_liners(), steps, strict=True
    ):
        if line is None:
            assert isinstance(step.settings, PauseSettings)
            shared_clock.jump(step.settings.seconds)
            continue
        args = [*shlex.split(line)[1:], "--json"]
        if args[0] in CALL_COMMANDS:
            args += ["--virtual-time", "--open-for", "5"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        document = json.loads(result.stdout)
        if args[0] in CALL_COMMANDS:
            summary = report["summary"]
            assert {key: document[key] for key in COMPARED} == {
                key: summary[key] for key in COMPARED
            }, line
            assert document["breaker"]["after"]["state"] == report["breaker"]["after"]["state"]
        else:
            assert document["state"] == report["breaker"]["after"]["state"], line

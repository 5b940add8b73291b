"""`run --interactive`: time at the prompt does not pass, and Ctrl-C there ends the run."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from contextlib import nullcontext

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app, prompt, runtime
from resilience_cli.cli.scenario_cmds import SHIPPED
from resilience_cli.clock import PausableClock
from resilience_cli.scenarios import load_scenario
from resilience_cli.scenarios.runner import run_scenario
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget
from resilience_cli.virtual_time import VirtualClock

TALK = 7.0  # seconds a teacher talks at a prompt: longer than the 5 s open window

OPEN_THEN_LOOK = """\
version: 1
title: the breaker opens, the teacher talks, the class looks
defaults:
  policies:
    retry: {base_delay: 10ms, max_delay: 10ms}
    breaker: {open_for: 5s}
steps:
  - reset: {}
  - error: {count: 10}
    expect:
      breaker.state: open
  - invoke: {count: 5, mix: "/get:1"}
    expect:
      fallback.breaker_open: rate == 1
  - state: {}
    expect:
      breaker.state: open
"""


class SkewedClock:
    """The machine's clocks plus an offset the test moves: time passing without a sleep."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def wall(self) -> float:
        return time.time() + self.offset


class Talk:
    """Enter, pressed after the teacher talked for `TALK` seconds of the world's time."""

    def __init__(self, world: SkewedClock) -> None:
        self.world = world
        self.prompts = 0

    async def next_line(self) -> bool:
        self.prompts += 1
        self.world.offset += TALK
        return True


@pytest.mark.parametrize("clock_stops", [True, False], ids=["paused", "not-paused"])
def test_seven_seconds_at_each_prompt_change_nothing(tmp_path, monkeypatch, clock_stops):
    """With 7 s of talk before every step, the 5 s open window is still open for the class.

    `not-paused` is the same run with the pause taken out: the talk then outlasts the open
    window and the expectations fail, which is what this test guards against.
    """
    world = SkewedClock()
    talk = Talk(world)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.setattr(runtime, "choose_clock", lambda **_: world)
    monkeypatch.setattr(prompt, "StdinLines", lambda: talk)
    if not clock_stops:
        monkeypatch.setattr(PausableClock, "paused", lambda _self: nullcontext())
    (tmp_path / "talk.yaml").write_text(OPEN_THEN_LOOK)
    result = CliRunner().invoke(app, ["run", "talk.yaml", "--interactive", "--json"])
    assert talk.prompts == 4
    expectations = json.loads(result.stdout)["runs"][0]["steps"]
    held = [v["passed"] for step in expectations for v in step["expectations"]]
    if clock_stops:
        assert result.exit_code == 0, result.output
        assert held == [True, True, True]
    else:
        assert result.exit_code == 1
        assert held == [True, False, False]


@pytest.mark.parametrize("name", ["tour", "circuit-breaker"])
async def test_no_timer_is_pending_at_a_prompt(clock, tmp_path, name):
    """Between steps nothing waits on the loop, so stopping the run's clock there is safe."""
    scenario = load_scenario(SHIPPED / f"{name}.yaml")
    loop = asyncio.get_running_loop()
    pending: list[list[object]] = []

    async def before_step(section: str, index: int, step: object) -> None:
        del section, index, step
        await asyncio.sleep(0)  # let anything a step left behind get scheduled
        pending.append([h for h in loop._scheduled if not h.cancelled()])  # type: ignore[attr-defined]

    report = await run_scenario(
        scenario,
        source=name,
        clock=clock,
        store=JsonFileStore(tmp_path / "breaker.json", clock=clock),
        target_for=lambda: InProcessTarget(scenario.seed, clock.wall),
        before_step=before_step,
        virtual_time=True,
    )
    assert report.exit_code == 0
    assert len(pending) == len(scenario.steps) + len(scenario.finally_)
    assert all(timers == [] for timers in pending)


@pytest.mark.real_time
async def test_lines_typed_ahead_are_kept_for_the_next_prompts():
    """Two Enters typed at once answer two prompts; the end of the input answers the rest."""
    read_end, write_end = os.pipe()
    lines = prompt.StdinLines(read_end)
    os.write(write_end, b"\n\n")
    assert await asyncio.wait_for(lines.next_line(), 5)
    assert await asyncio.wait_for(lines.next_line(), 5)
    os.close(write_end)
    assert not await asyncio.wait_for(lines.next_line(), 5)
    assert not await asyncio.wait_for(lines.next_line(), 5)
    os.close(read_end)


@pytest.mark.real_time
async def test_a_cancelled_wait_loses_no_line():
    """Ctrl-C while waiting, then Enter: the line is there for whoever asks next."""
    read_end, write_end = os.pipe()
    lines = prompt.StdinLines(read_end)
    waiting = asyncio.ensure_future(lines.next_line())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    os.write(write_end, b"\n")
    assert await asyncio.wait_for(lines.next_line(), 5)
    os.close(write_end)
    os.close(read_end)


def test_ctrl_c_at_the_prompt_leaves_nothing_to_wait_for():
    """A wait cancelled at the prompt lets its event loop close at once, input still open.

    With `asyncio.to_thread(readline)` the loop's closing joined the reading thread, so
    the run ended only after one more Enter.
    """
    read_end, write_end = os.pipe()
    lines = prompt.StdinLines(read_end)

    async def cancelled_at_the_prompt() -> None:
        waiting = asyncio.ensure_future(
            prompt.Prompt(lines, PausableClock(VirtualClock())).wait(None)
        )
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    finished = threading.Event()

    def run() -> None:
        asyncio.run(cancelled_at_the_prompt())
        finished.set()

    threading.Thread(target=run, daemon=True).start()
    assert finished.wait(5), "the event loop waited for the prompt's reader"
    os.close(write_end)
    os.close(read_end)


def unreadable(_fd: int, _size: int) -> bytes:
    raise OSError(9, "Bad file descriptor")


@pytest.mark.parametrize(
    "lines",
    [prompt.StdinLines(0, read=unreadable), prompt.StdinLines()],
    ids=["closed", "captured"],
)
def test_without_a_readable_input_the_prompt_goes_on(lines):
    """No stdin to read (a closed one, or one a test runner holds): each prompt goes on."""

    async def two_prompts() -> list[bool]:
        return [await lines.next_line(), await lines.next_line()]

    assert asyncio.run(two_prompts()) == [False, False]

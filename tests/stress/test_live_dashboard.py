"""The live dashboard on a terminal: at most ten frames a second, and at most 3 % drawing."""

from __future__ import annotations

import dataclasses
import io

import pytest
from rich.console import Console

from resilience_cli.cli.stress_watch import DRAW_SHARE, LiveDashboard
from resilience_cli.measure.series import Gauges, IntervalRow
from resilience_cli.patterns import BreakerState, Policies, Reason
from resilience_cli.reporting.dashboard import render_dashboard
from resilience_cli.request import Request
from resilience_cli.state import JsonFileStore
from resilience_cli.stress.profile import LoadProfile
from resilience_cli.stress.run import StressPlan, run_stress
from resilience_cli.targets import InProcessTarget


class Keep:
    """A watcher that keeps the last view."""

    view = None

    def tick(self, view):
        self.view = view

    def interval(self, row, view):
        del row
        self.view = view


class RealTime:
    """Real time that the test moves; each frame drawn costs `frame` seconds of it."""

    def __init__(self, frame: float) -> None:
        self.t = 0.0
        self.frame = frame
        self.drawing = False

    def __call__(self) -> float:
        # The dashboard reads the time before a frame and after it: the second read
        # comes after the frame's cost.
        if self.drawing:
            self.t += self.frame
        self.drawing = not self.drawing
        return self.t


@pytest.fixture
async def view(clock, tmp_path):
    keep = Keep()
    plan = StressPlan(
        LoadProfile.constant(20, 3),
        (Request("/get"),),
        Policies(),
        500,
        1.0,
        1,
    )
    await run_stress(
        plan,
        clock=clock,
        store=JsonFileStore(tmp_path / "b.json", clock=clock),
        target=InProcessTarget(1, clock.wall),
        watcher=keep,
    )
    return keep.view


def screen() -> Console:
    return Console(file=io.StringIO(), width=100, height=30, force_terminal=True)


def run_ticks(dashboard: LiveDashboard, time: RealTime, view, *, seconds: float, every: float):
    """Offer a frame every `every` seconds of real time, for `seconds`."""
    with dashboard:
        while time.t < seconds:
            time.drawing = False  # a tick that draws nothing reads the time once
            dashboard.tick(view)
            time.t += every


async def test_a_cheap_frame_is_drawn_at_most_ten_times_a_second(view):
    """Ticks every 10 ms for 2 s, frames costing 1 ms: 20 frames, plus the last on exit."""
    time = RealTime(frame=0.001)
    dashboard = LiveDashboard(None, console=screen(), now=time)
    run_ticks(dashboard, time, dataclasses.replace(view, done=False), seconds=2, every=0.01)
    assert 19 <= dashboard.frames <= 22


async def test_a_costly_frame_is_drawn_less_often_to_keep_within_its_share(view):
    """Frames costing 15 ms: one every 0.5 s at most, so drawing takes <= 3 % of the time."""
    time = RealTime(frame=0.015)
    dashboard = LiveDashboard(None, console=screen(), now=time)
    run_ticks(dashboard, time, dataclasses.replace(view, done=False), seconds=10, every=0.01)
    assert dashboard.frames <= 10 * DRAW_SHARE / 0.015 + 2
    assert dashboard.frames >= 15
    assert dashboard.frames * 0.015 / time.t <= DRAW_SHARE + 0.005


async def test_the_last_frame_stays_on_screen(view):
    """The final view is drawn on exit whatever the pace, and shows the whole run."""
    console = screen()
    dashboard = LiveDashboard(None, console=console, now=RealTime(frame=0.5))
    with dashboard:
        dashboard.tick(view)
    assert dashboard.frames >= 1
    text = console.file.getvalue()
    assert "resilience stress" in text
    assert "3.0 s of 3.0 s" in text


def degraded_row(end: float) -> IntervalRow:
    """A second of a degraded run: fallbacks of three reasons, the breaker just opened."""
    return IntervalRow(
        start=end - 1, end=end, target_rate=50.0, arrivals=50, dropped=0, completions=104,
        succeeded=4, recovered=2, fallbacks=98, failed=0,
        by_reason=((Reason.BREAKER_OPEN, 61), (Reason.BULKHEAD_FULL, 35), (Reason.HTTP_5XX, 2)),
        p50=0.008, p95=1.2, p99=3.05,
        gauges=Gauges(BreakerState.OPEN, 56, 1, 0, 2.0),
        states=(BreakerState.CLOSED, BreakerState.OPEN),
    )  # fmt: skip


async def test_the_last_intervals_fit_100_columns_with_every_heading_whole(view):
    """With fallbacks of three reasons, the dashboard's table was cut to `arriva…`, `do…`."""
    degraded = dataclasses.replace(view, rows=(*view.rows, degraded_row(4), degraded_row(4.7137)))
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(render_dashboard(degraded, width=100))
    shown = console.file.getvalue()
    heading = next(line for line in shown.splitlines() if "arrivals" in line and "tokens" in line)
    assert heading.split() == [
        "t", "arrivals", "done", "ok", "rec", "fallback", "drop", "p50", "p99",
        "breaker", "bulkhead", "tokens",
    ]  # fmt: skip
    assert "…" not in shown
    assert any(line.lstrip().startswith("4.7 ") for line in shown.splitlines())  # not 4.7137

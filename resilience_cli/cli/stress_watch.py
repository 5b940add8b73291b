"""What `stress` shows while it runs: a live dashboard on a terminal, progress lines off one.

- On a terminal (stderr), a Rich `Live` dashboard redrawn at most `REFRESHES_PER_SECOND`
  times a second of real time, whatever the run's clock (a virtual-time run flies past,
  and the screen keeps up without drawing more); the last frame stays on screen. Drawing
  takes CPU from the calls (a frame costs about 13 ms here), so after each frame the next
  waits until drawing has had at most `DRAW_SHARE` of the time since: on a slow machine
  the dashboard redraws less often rather than slow the load down.
- Off a terminal (CI, a pipe), one plain line per interval on stderr, like k6.

Either way the last view is kept, so `--export` can draw the final dashboard.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from rich.console import Console, RenderableType
    from rich.live import Live

    from resilience_cli.measure.series import IntervalRow
    from resilience_cli.stress.run import LiveView
    from resilience_cli.upstream.fault_control import LiveFaults

REFRESHES_PER_SECOND: Final = 10
DRAW_SHARE: Final = 0.03
"""The share of real time the dashboard may spend drawing (the issue's 3 % budget)."""


class StressScreen:
    """The watcher of a stress run: keeps its last view; subclasses show it."""

    def __init__(self, faults: LiveFaults | None) -> None:
        self._faults = faults
        self._last: LiveView | None = None

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None

    def tick(self, view: LiveView) -> None:
        """The run now."""
        self._last = view

    def interval(self, row: IntervalRow, view: LiveView) -> None:
        """An interval closed."""
        del row
        self._last = view

    def fault(self) -> str:
        """The fault in force now, in the phase grammar, or empty with no phases."""
        return "" if self._faults is None else str(self._faults.current())

    def final(self) -> RenderableType:
        """The dashboard of the last view (for `--export`)."""
        from rich.text import Text  # noqa: PLC0415

        from resilience_cli.reporting.dashboard import render_dashboard  # noqa: PLC0415

        if self._last is None:
            return Text("no arrival was scheduled")
        return render_dashboard(self._last, fault=self.fault())


class ProgressLines(StressScreen):
    """One plain line per interval on stderr."""

    def interval(self, row: IntervalRow, view: LiveView) -> None:
        """Write the interval's line."""
        from resilience_cli.printable import shown  # noqa: PLC0415
        from resilience_cli.reporting.stress import progress_line  # noqa: PLC0415

        super().interval(row, view)
        sys.stderr.write(shown(progress_line(row, view)) + "\n")
        sys.stderr.flush()


class LiveDashboard(StressScreen):
    """A Rich Live dashboard on stderr, redrawn at most ten times a second of real time.

    Args:
        faults: The fault schedule, to say which fault holds now.
        console: Where to draw (stderr's console by default).
        now: Real time, in seconds (`time.perf_counter`): the pace of the redraws.
    """

    def __init__(
        self,
        faults: LiveFaults | None,
        *,
        console: Console | None = None,
        now: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(faults)
        self._console = console
        self._now = now
        self._live: Live | None = None
        self._next = float("-inf")  # when the next frame may be drawn
        self.frames = 0

    def __enter__(self) -> None:
        from rich.live import Live  # noqa: PLC0415
        from rich.text import Text  # noqa: PLC0415

        from resilience_cli.cli.output import stderr  # noqa: PLC0415

        self._live = Live(
            Text("starting..."),
            console=self._console or stderr(),
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=True,  # a note during the run goes above the dashboard
        )
        self._live.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._live is not None:
            if self._last is not None:
                self._draw(force=True)
            self._live.stop()
            self._live = None

    def tick(self, view: LiveView) -> None:
        """Redraw, unless the last frame is under a tenth of a second old."""
        super().tick(view)
        self._draw(force=view.done)

    def interval(self, row: IntervalRow, view: LiveView) -> None:
        """Redraw with the new row, under the same limit."""
        super().interval(row, view)
        self._draw(force=False)

    def _draw(self, *, force: bool) -> None:
        began = self._now()
        if self._live is None or self._last is None or (not force and began < self._next):
            return
        from resilience_cli.glyphs import glyphs_for  # noqa: PLC0415
        from resilience_cli.reporting.dashboard import render_dashboard  # noqa: PLC0415

        console = self._live.console
        self._live.update(
            render_dashboard(
                self._last,
                fault=self.fault(),
                glyphs=glyphs_for(console.encoding),
                width=console.width,
            ),
            refresh=True,
        )
        self.frames += 1
        spent = self._now() - began
        self._next = began + max(1 / REFRESHES_PER_SECOND, spent / DRAW_SHARE)


def watcher_for(faults: LiveFaults | None) -> StressScreen:
    """The live dashboard when stderr is a terminal, else progress lines."""
    from resilience_cli.cli.output import stderr  # noqa: PLC0415

    if stderr().is_terminal:
        return LiveDashboard(faults)
    return ProgressLines(faults)

"""What `stress` shows while it runs: a live dashboard on a terminal, progress lines off one.

- On a terminal (stderr), a Rich `Live` dashboard redrawn at most `REFRESHES_PER_SECOND`
  times a second of real time, whatever the run's clock (a virtual-time run flies past,
  and the screen keeps up without drawing more); the last frame stays on screen.
- Off a terminal (CI, a pipe), one plain line per interval on stderr, like k6.

Either way the last view is kept, so `--export` can draw the final dashboard.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from types import TracebackType

    from rich.console import RenderableType
    from rich.live import Live

    from resilience_cli.measure.series import IntervalRow
    from resilience_cli.stress.run import LiveView
    from resilience_cli.upstream.fault_control import LiveFaults

REFRESHES_PER_SECOND: Final = 10


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
    """A Rich Live dashboard on stderr, redrawn at most ten times a second of real time."""

    def __init__(self, faults: LiveFaults | None) -> None:
        super().__init__(faults)
        self._live: Live | None = None
        self._drawn = -1.0

    def __enter__(self) -> None:
        from rich.live import Live  # noqa: PLC0415
        from rich.text import Text  # noqa: PLC0415

        from resilience_cli.cli.output import stderr  # noqa: PLC0415

        self._live = Live(
            Text("starting..."),
            console=stderr(),
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
        now = time.monotonic()
        if self._live is None or (not force and now - self._drawn < 1 / REFRESHES_PER_SECOND):
            return
        self._drawn = now
        from resilience_cli.glyphs import glyphs_for  # noqa: PLC0415
        from resilience_cli.reporting.dashboard import render_dashboard  # noqa: PLC0415

        if self._last is None:  # pragma: no cover - a draw follows a view
            return
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


def watcher_for(faults: LiveFaults | None) -> StressScreen:
    """The live dashboard when stderr is a terminal, else progress lines."""
    from resilience_cli.cli.output import stderr  # noqa: PLC0415

    if stderr().is_terminal:
        return LiveDashboard(faults)
    return ProgressLines(faults)

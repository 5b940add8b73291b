"""Windows of a stress step: a metric over a span of the run, `name[10s..25s]`, `name[last 10s]`.

A stress step's expectation may name a metric over a span of its run instead of the
whole of it, by a window in brackets after the name:

- `[A..B]`: from A to B seconds into the run, A included, B not;
- `[last N]`: the last N seconds of the arrivals, and on to the end of the run (the calls
  still in flight then finish in it).

A and B are durations as everywhere in a file (`10s`, `500ms`, `1.5m`, or seconds). What
falls in a window is `measure.series`'s rule: an arrival or a drop by its scheduled
time, a completed call by the time it ended, and the breaker's states from the one it
was in when the window began to each it moved to before it ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from resilience_cli.measure.series import Window
from resilience_cli.patterns import Reason
from resilience_cli.scenarios.durations import parse_seconds

LAST: Final = "last "
EXAMPLE: Final = "[10s..25s] or [last 10s]"
WINDOWED: Final = (
    "arrivals",
    "dropped",
    "calls",
    "outcome.success",
    "outcome.recovered",
    "outcome.fallback",
    "outcome.failed",
    "outcome.ok",
    *(f"fallback.{reason.value}" for reason in Reason),
    "latency",
    "breaker.state",
    "breaker.transitions",
    "breaker.opened",
    "breaker.half_opened",
    "breaker.closed",
    "breaker.forced_open",
)
"""The metrics an expectation may name over a window: `fallback.breaker_open[last 10s]`."""


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A window as written: `[start..end]`, or `[last seconds]` (then `start` is unset)."""

    start: float | None
    end: float | None
    last: float | None = None

    def window(self, duration: float) -> Window:
        """The span of a run whose arrivals last `duration` seconds."""
        if self.last is not None:
            return Window(max(0.0, duration - self.last), math.inf)
        return Window(self.start or 0.0, self.end or 0.0)

    def __str__(self) -> str:
        if self.last is not None:
            return f"[last {_seconds(self.last)}]"
        return f"[{_seconds(self.start or 0.0)}..{_seconds(self.end or 0.0)}]"


def split_window(name: str) -> tuple[str, WindowSpec | None]:
    """`breaker.state[10s..25s]` -> (`breaker.state`, its window); a bare name has none.

    Raises:
        ValueError: The brackets hold no window this grammar reads, in one line.
    """
    if not name.endswith("]") or "[" not in name:
        return name, None
    metric, _, inside = name[:-1].partition("[")
    return metric.strip(), parse_window(inside)


def parse_window(text: str) -> WindowSpec:
    """`10s..25s` or `last 10s` (what is between the brackets) as a window.

    Raises:
        ValueError: One line saying what is wrong.
    """
    cleaned = text.strip()
    if cleaned.startswith(LAST):
        seconds = _duration(cleaned.removeprefix(LAST), "the span of 'last'")
        if seconds <= 0:
            raise ValueError(f"[{cleaned}]: 'last' needs a span above 0, e.g. {EXAMPLE}")
        return WindowSpec(None, None, seconds)
    start_text, dots, end_text = cleaned.partition("..")
    if not dots:
        raise ValueError(f"[{cleaned}] is not a window; write {EXAMPLE}")
    start = _duration(start_text, "the start of the window")
    end = _duration(end_text, "the end of the window")
    if end <= start:
        raise ValueError(f"[{cleaned}]: the window must end after it starts")
    return WindowSpec(start, end)


def _duration(text: str, what: str) -> float:
    try:
        return parse_seconds(text.strip())  # a text: never negative, at most a day
    except ValueError as exc:
        raise ValueError(f"{what} {exc} (windows are written {EXAMPLE})") from None


def _seconds(value: float) -> str:
    return f"{value:g}s"

"""Two views of every report: `full` keeps every number, `compact` fits a projector.

A class reads the projected terminal, often 30 rows high: the full view of one call
command (37 to 44 lines) scrolled its Calls table away. The compact view keeps the
headline of a step in about 15 lines at 100 columns: calls, ok, recovered, fallbacks by
reason, retries, p50 and p99, and the breaker before and after with the last few
transitions' reasons (and how many earlier ones it leaves out).

The compact view is the default on a terminal of fewer than 40 rows. Anywhere else,
and on a pipe, a file or a CI log above all, the full view is, so that a log keeps all
the data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class View(StrEnum):
    """How much of a report to show."""

    COMPACT = "compact"
    FULL = "full"


COMPACT_BELOW_ROWS: Final = 40
# Transitions a compact view lists; it counts the earlier ones.
LAST_TRANSITIONS: Final = 3
# Endpoint rows a compact Calls table lists before it keeps to the total alone.
MAX_ENDPOINT_ROWS: Final = 4


def default_view(*, is_terminal: bool, rows: int) -> View:
    """Compact on a terminal of fewer than 40 rows; full elsewhere (pipes, files, CI)."""
    return View.COMPACT if is_terminal and rows < COMPACT_BELOW_ROWS else View.FULL

"""Which decisions the log writes in full, and which it sums up: its volume is bounded.

At 1,000 calls a second against a failing upstream, one line per attempt would grow the
log by hundreds of KB a second. The rule, applied per interval of the run's clock
(`INTERVAL`, 1 s):

- every breaker transition is written in full, and so is every run-level line;
- the first occurrence of each decision in an interval (a decision is an event and its
  reason: `attempt.failed` for `http_5xx`, `call.rejected` by the `breaker` for
  `breaker_open`, ...) is written in full;
- its repeats in that interval are counted, and written as one line when the interval
  ends: the same event and reason, with `count` (how many more there were) and
  `interval_s`.

A transition ends the interval early: what was counted before it is written before it,
so the log keeps the order in which things happened, and the first decisions after it
are written in full again.

So an interval writes at most two lines per decision, whatever the rate: the log grows
with time and with the kinds of decision, not with the number of calls. Everything here
is pure bookkeeping: the event log (`eventlog.py`) asks and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

INTERVAL: Final = 1.0
"""Seconds of the run's clock over which repeats of a decision are summed up."""

# The fields that tell one decision from another, by event; other fields (a duration, a
# detail, an attempt's number) vary from call to call and are left out of the summary.
KEY_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "attempt.failed": ("reason",),
    "retry.scheduled": ("cause",),
    "retry.abandoned": (),
    "call.rejected": ("pattern", "reason"),
    "call.fell_back": ("reason",),
    "rate_limit.waited": (),
    "bulkhead.queued": (),
}

Key = tuple[str, tuple[tuple[str, object], ...]]
"""An event's name and its key fields: one decision."""


@dataclass(frozen=True, slots=True)
class Repeats:
    """The repeats of one decision in an interval: what its summary line says."""

    event: str
    level: str
    fields: tuple[tuple[str, object], ...]
    count: int
    interval: float


def key_of(event: str, fields: dict[str, object]) -> Key | None:
    """The decision an event stands for, or None for one always written in full."""
    names = KEY_FIELDS.get(event)
    if names is None:
        return None
    return event, tuple((name, fields.get(name)) for name in names)


class RepeatDigest:
    """Counts the repeats of each decision per interval, and says when to write what.

    Args:
        interval: Seconds of the run's clock per interval.
    """

    __slots__ = ("_ends", "_interval", "_levels", "_repeats")

    def __init__(self, interval: float = INTERVAL) -> None:
        self._interval = interval
        self._ends: float | None = None
        # Each decision seen in this interval, with its repeats so far (0: only the first).
        self._repeats: dict[Key, int] = {}
        self._levels: dict[Key, str] = {}

    def admit(self, key: Key, level: str, now: float) -> tuple[list[Repeats], bool]:
        """Take one occurrence of `key` at `now` (monotonic seconds).

        Returns:
            The summaries of the interval that `now` ended, if it ended one (to write
            first), and whether this occurrence is to be written in full.
        """
        due = self.roll(now)
        if key in self._repeats:
            self._repeats[key] += 1
            return due, False
        self._repeats[key] = 0
        self._levels[key] = level
        return due, True

    def roll(self, now: float) -> list[Repeats]:
        """The summaries of the interval `now` ended, if any; a new one begins."""
        if self._ends is None:
            self._ends = now + self._interval
            return []
        if now < self._ends:
            return []
        due = self.flush()
        self._ends = now + self._interval
        return due

    def flush(self) -> list[Repeats]:
        """The summaries counted so far (at a transition, or at the end); start afresh."""
        due = [
            Repeats(event, self._levels[(event, fields)], fields, count, self._interval)
            for (event, fields), count in self._repeats.items()
            if count
        ]
        self._repeats.clear()
        self._levels.clear()
        self._ends = None
        return due

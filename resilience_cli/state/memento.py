"""The breaker as it is saved: a frozen memento, and its JSON form, checked field by field.

`BreakerMemento` holds what a breaker keeps between runs (`patterns.SavedBreaker`), in
wall-clock seconds. `to_json` gives the `breaker` object of the state file; `from_json`
reads one back and refuses, naming the field, anything a breaker could not go on from.
The form, version `SNAPSHOT_FORMAT`::

    {
      "format": 1,
      "state": "open",                       # closed, open, half_open, forced_open
      "fail_count": 5,                       # consecutive failures while closed
      "window": "x.xsX",                     # oldest first: ok, failed, slow, slow failure
      "opened_at": "2026-01-01T00:01:00+00:00",
      "open_for": 30.0,                      # the wait it opened with
      "half_open_since": null,               # the first probe's time, while half-open
      "probes_succeeded": 0,
      "transitions": [{"from": "closed", "to": "open", "at": "...", "reason": "..."}]
    }

Times are ISO 8601 UTC, from 1970 to 9999 (so that restoring one cannot step past year 1
or 9999); a time without a zone reads as UTC. Seconds and counts are bounded
(`limits.MAX_SECONDS`, `limits.MAX_STORED_COUNT`), so that a hand-edited file cannot make
the arithmetic overflow. `half_open_since` and `probes_succeeded` are read only for a
half-open breaker, as they mean nothing in another state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import SnapshotError
from resilience_cli.limits import MAX_SECONDS, MAX_STORED_COUNT
from resilience_cli.patterns.breaker import (
    RECENT_TRANSITIONS,
    BreakerState,
    CircuitBreaker,
    Transition,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import BreakerConfig, EventSink

SNAPSHOT_FORMAT: Final = 1

# The wall times a snapshot may hold: 1970-01-01 to 9999-01-01, UTC.
_EARLIEST_TIME: Final = 0.0
_LATEST_TIME: Final = 253_370_764_800.0
# One character per call of the window, indexed by its mark: ok, failed, slow, slow failure.
_WINDOW_CHARS: Final = ".xsX"


@dataclass(frozen=True, slots=True)
class BreakerMemento:
    """What a breaker keeps between runs, in wall-clock seconds (`patterns.SavedBreaker`)."""

    state: BreakerState
    fail_count: int
    window: tuple[int, ...]
    opened_at: float | None
    open_for: float | None  # None: the configuration's
    half_open_since: float | None
    probes_succeeded: int
    transitions: tuple[Transition, ...]

    @classmethod
    def of(cls, breaker: CircuitBreaker) -> BreakerMemento:
        """What `breaker` keeps now, once the transitions that time made due are made."""
        state = breaker.state  # first: the file must tell the truth
        return cls(
            state=state,
            fail_count=breaker.consecutive_failures,
            window=breaker.window_marks,
            opened_at=breaker.opened_at,
            open_for=breaker.open_wait,
            half_open_since=breaker.half_open_since,
            probes_succeeded=breaker.probes_succeeded,
            transitions=breaker.transitions,
        )

    def to_json(self) -> dict[str, object]:
        """The `breaker` object of the state file: plain JSON, times as ISO 8601 UTC."""
        return {
            "format": SNAPSHOT_FORMAT,
            "state": self.state.value,
            "fail_count": self.fail_count,
            "window": "".join(_WINDOW_CHARS[mark] for mark in self.window),
            "opened_at": _iso(self.opened_at),
            "open_for": self.open_for,
            "half_open_since": _iso(self.half_open_since),
            "probes_succeeded": self.probes_succeeded,
            "transitions": [
                {
                    "from": t.from_state.value,
                    "to": t.to_state.value,
                    "at": _iso(t.at),
                    "reason": t.reason,
                }
                for t in self.transitions
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> BreakerMemento:
        """Read a `breaker` object; fields left out take a fresh breaker's values.

        Raises:
            SnapshotError: The first field that is missing or wrong, named.
        """
        found = data.get("format")
        if found != SNAPSHOT_FORMAT:
            raise SnapshotError(f"breaker snapshot format {found!r} is not {SNAPSHOT_FORMAT}")
        state = _read_state(data.get("state"), "state")
        fail_count = _read_count(data, "fail_count")
        window = _read_window(data)
        opened_at = _read_time(data, "opened_at")
        open_for = _read_seconds(data, "open_for") if "open_for" in data else None
        half_open_since, probes_succeeded = None, 0
        if state in (BreakerState.OPEN, BreakerState.FORCED_OPEN):
            if opened_at is None:
                raise SnapshotError(f"breaker snapshot: state {state} needs opened_at")
        elif state is BreakerState.HALF_OPEN:
            half_open_since = _read_time(data, "half_open_since")
            probes_succeeded = _read_count(data, "probes_succeeded")
        return cls(
            state=state,
            fail_count=fail_count,
            window=window,
            opened_at=opened_at,
            open_for=open_for,
            half_open_since=half_open_since,
            probes_succeeded=probes_succeeded,
            transitions=_read_transitions(data.get("transitions", [])),
        )


def to_snapshot(breaker: CircuitBreaker) -> dict[str, object]:
    """`breaker` as the state file's `breaker` object."""
    return BreakerMemento.of(breaker).to_json()


def from_snapshot(
    snapshot: Mapping[str, object],
    config: BreakerConfig | None = None,
    *,
    clock: Clock,
    events: EventSink | None = None,
) -> CircuitBreaker:
    """A breaker that goes on where the one saved as `snapshot` stopped.

    Raises:
        SnapshotError: The first field that is missing or wrong, named.
    """
    memento = BreakerMemento.from_json(snapshot)
    return CircuitBreaker.from_memento(memento, config, clock=clock, events=events)


def _iso(wall: float | None) -> str | None:
    return None if wall is None else datetime.fromtimestamp(wall, UTC).isoformat()


def _read_time(data: Mapping[str, object], field: str) -> float | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SnapshotError(f"breaker snapshot: {field} must be an ISO 8601 time or null")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        wall = parsed.timestamp()
        datetime.fromtimestamp(wall, UTC)  # it must also be writable back, and shown
    except (ValueError, OverflowError, OSError):
        wall = math.nan
    if not _EARLIEST_TIME <= wall <= _LATEST_TIME:
        raise SnapshotError(
            f"breaker snapshot: {field} {value[:40]!r} is not a usable ISO 8601 time"
            " (from 1970 to 9999)"
        )
    return wall


def _read_seconds(data: Mapping[str, object], field: str) -> float:
    value = data.get(field)
    # Compared before float(): an integer of 400 digits has none (OverflowError).
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not 0 <= value <= MAX_SECONDS
    ):
        raise SnapshotError(
            f"breaker snapshot: {field} must be seconds from 0 to {MAX_SECONDS:.0f},"
            f" got {_shown(value)}"
        )
    return float(value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _read_state(value: object, field: str) -> BreakerState:
    try:
        return BreakerState(str(value))
    except ValueError:
        raise SnapshotError(f"breaker snapshot: {field} {value!r} is not a state") from None


def _read_count(data: Mapping[str, object], field: str) -> int:
    value = data.get(field, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_STORED_COUNT:
        raise SnapshotError(
            f"breaker snapshot: {field} must be a count from 0 to 2**63 - 1, got {_shown(value)}"
        )
    return value


def _read_window(data: Mapping[str, object]) -> tuple[int, ...]:
    window = data.get("window", "")
    if not isinstance(window, str) or any(char not in _WINDOW_CHARS for char in window):
        raise SnapshotError(f"breaker snapshot: window must use only {_WINDOW_CHARS!r}")
    return tuple(_WINDOW_CHARS.index(char) for char in window)


def _read_transitions(value: object) -> tuple[Transition, ...]:
    if not isinstance(value, list):
        raise SnapshotError("breaker snapshot: transitions must be a list")
    transitions = []
    for index, item in enumerate(value):
        field = f"transitions[{index}]"
        if not isinstance(item, dict):
            raise SnapshotError(f"breaker snapshot: {field} must be an object")
        at = _read_time(item, "at")
        reason = item.get("reason", "")
        if at is None or not isinstance(reason, str):
            raise SnapshotError(f"breaker snapshot: {field} needs 'at' and a text 'reason'")
        transitions.append(
            Transition(
                _read_state(item.get("from"), f"{field}.from"),
                _read_state(item.get("to"), f"{field}.to"),
                at,
                reason,
            )
        )
    return tuple(transitions[-RECENT_TRANSITIONS:])

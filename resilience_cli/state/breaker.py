"""The persisted breaker as commands see it: restored from a snapshot, read as a view.

Kept apart from `run.py` so that `resilience state`, `force-open` and `reset` load
neither httpx nor the upstream: they only read and write the state file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resilience_cli.errors import SnapshotError, StateFileError
from resilience_cli.patterns import BreakerState, CircuitBreaker

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import BreakerConfig, EventSink

_RESET_HINT = "run 'resilience reset' to start afresh"


@dataclass(frozen=True, slots=True)
class BreakerView:
    """The breaker as users see it at one moment."""

    state: BreakerState
    fail_count: int
    opened_at: float | None
    open_remaining: float | None

    @classmethod
    def of(cls, breaker: CircuitBreaker) -> BreakerView:
        """Read `breaker` now (making any transition that time has made due)."""
        state = breaker.state
        return cls(state, breaker.consecutive_failures, breaker.opened_at, breaker.open_remaining())


def load_breaker(
    snapshot: Mapping[str, object] | None,
    config: BreakerConfig | None,
    *,
    clock: Clock,
    events: EventSink | None,
    location: str,
) -> CircuitBreaker:
    """The persisted breaker, or a fresh CLOSED one; a bad snapshot names the file."""
    if snapshot is None:
        return CircuitBreaker(config, clock=clock, events=events)
    try:
        return CircuitBreaker.restore(snapshot, config, clock=clock, events=events)
    except SnapshotError as exc:
        problem = str(exc).removeprefix("breaker snapshot: ")
        raise StateFileError(
            location, f"holds a breaker this version cannot read ({problem})", _RESET_HINT
        ) from None

"""The breaker's values: its configuration, its states, and what it hands out and keeps.

`SavedBreaker` is what a breaker saved between runs holds, in wall-clock time: the state
store's memento satisfies it (`state/memento.py`), and `CircuitBreaker.from_memento`
goes on from it. It is a Protocol so that this package imports nothing from the store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Protocol

from resilience_cli.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

RECENT_TRANSITIONS: Final = 20
# Each call in the sliding window is a mark: failed and slow are bits, so a slow failure
# is both (3). The marks are the breaker's own; a store spells them as it likes.
CALL_OK: Final = 0
CALL_FAILED: Final = 1
CALL_SLOW: Final = 2


class BreakerState(StrEnum):
    """The states users see, in `resilience state` and in the state file."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """How the breaker trips and recovers. `None` switches a trip policy off."""

    failure_threshold: int | None = 5
    failure_rate_threshold: float | None = 0.5
    window_size: int = 20
    window_duration: float | None = None
    minimum_calls: int = 10
    slow_call_duration: float | None = None
    slow_call_rate_threshold: float = 1.0
    open_for: float = 30.0
    half_open_max_calls: int = 3
    half_open_max_wait: float | None = 60.0

    def __post_init__(self) -> None:
        if self.failure_threshold is not None and self.failure_threshold < 1:
            raise ConfigError("breaker.failure_threshold", "must be >= 1 (or off)")
        _check_ratio("breaker.failure_rate_threshold", self.failure_rate_threshold)
        _check_ratio("breaker.slow_call_rate_threshold", self.slow_call_rate_threshold)
        if self.window_size < 1:
            raise ConfigError("breaker.window_size", f"must be >= 1, got {self.window_size}")
        self._check_window()
        if self.slow_call_duration is not None and not _positive(self.slow_call_duration):
            raise ConfigError("breaker.slow_call_duration", "must be > 0 seconds (or off)")
        if not (math.isfinite(self.open_for) and self.open_for >= 0):
            raise ConfigError("breaker.open_for", f"must be >= 0 seconds, got {self.open_for}")
        if self.half_open_max_calls < 1:
            raise ConfigError("breaker.half_open_max_calls", "must be >= 1")
        if self.half_open_max_wait is not None and not _positive(self.half_open_max_wait):
            raise ConfigError("breaker.half_open_max_wait", "must be > 0 seconds (or off)")

    def _check_window(self) -> None:
        duration = self.window_duration
        if duration is None:
            if not 1 <= self.minimum_calls <= self.window_size:
                raise ConfigError(
                    "breaker.minimum_calls",
                    f"must be between 1 and window_size {self.window_size},"
                    f" got {self.minimum_calls}",
                )
            return
        if not (math.isfinite(duration) and duration >= 1 and float(duration).is_integer()):
            raise ConfigError(
                "breaker.window_duration", f"must be whole seconds >= 1 (or off), got {duration}"
            )
        # Over a time window, as in Resilience4j, the minimum may be any number of calls.
        if self.minimum_calls < 1:
            raise ConfigError("breaker.minimum_calls", f"must be >= 1, got {self.minimum_calls}")


def _positive(seconds: float) -> bool:
    return math.isfinite(seconds) and seconds > 0


def _check_ratio(field: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and 0 < value <= 1):
        raise ConfigError(field, f"must be in (0, 1], got {value}")


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Counts over the sliding window of recent calls."""

    calls: int
    failures: int
    slow: int


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change, with the wall-clock time it happened and why."""

    from_state: BreakerState
    to_state: BreakerState
    at: float
    reason: str


class SavedBreaker(Protocol):
    """What a breaker saved between runs holds; times are wall-clock seconds since the epoch.

    Probes in flight are not part of it: only the process that admitted them could report
    them, so a breaker restored from it offers their permits again.
    """

    @property
    def state(self) -> BreakerState:
        """The state when it was saved, after the transitions time had made due."""
        ...

    @property
    def fail_count(self) -> int:
        """Consecutive failures while CLOSED."""
        ...

    @property
    def window(self) -> Sequence[int]:
        """The sliding window's marks (`CALL_FAILED | CALL_SLOW` bits), oldest first."""
        ...

    @property
    def opened_at(self) -> float | None:
        """When it last opened; None while CLOSED."""
        ...

    @property
    def open_for(self) -> float | None:
        """The open wait it opened with; None: the configuration's."""
        ...

    @property
    def half_open_since(self) -> float | None:
        """When the first probe of its half-open period was let in; None until then."""
        ...

    @property
    def probes_succeeded(self) -> int:
        """Probes of the half-open period that succeeded."""
        ...

    @property
    def transitions(self) -> Sequence[Transition]:
        """The most recent transitions, oldest first."""
        ...

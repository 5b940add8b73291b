"""Timeouts: one per attempt, and a deadline for the whole logical call.

Both are enforced by the event loop's own timer (`asyncio.timeout`), one timer per
attempt, set to whichever comes first: the attempt timeout or what is left of the
deadline. httpx's own per-phase timeouts fire through anyio cancel scopes and were
measured 181-1846 ms late at p99 under concurrency, against 4-12 ms for `asyncio.timeout`.
"""

from __future__ import annotations

from dataclasses import dataclass

from resilience_cli.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TimeoutConfig:
    """`attempt` bounds each attempt, `total` the whole call with its retries (None: off)."""

    attempt: float | None = 10.0
    total: float | None = 30.0

    def __post_init__(self) -> None:
        for field, value in (("timeout.attempt", self.attempt), ("timeout.total", self.total)):
            if value is not None and not value > 0:
                raise ConfigError(field, f"must be > 0 seconds (or off), got {value}")


def attempt_budget(
    attempt: float | None, now: float, deadline: float | None
) -> tuple[float | None, bool]:
    """The timer for the next attempt: min(attempt timeout, time left before the deadline).

    Returns the seconds (None: no timer) and whether the deadline set that bound. A plain
    tuple, because this runs on every attempt.
    """
    if deadline is None:
        return attempt, False
    left = deadline - now
    if attempt is None or left < attempt:
        return left, True
    return attempt, False

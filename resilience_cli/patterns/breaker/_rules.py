"""The breaker's decisions as pure functions of numbers, tested by table.

`CircuitBreaker` applies them; a store that runs the breaker elsewhere must decide alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resilience_cli.patterns.breaker._values import BreakerConfig, WindowStats


def trip_reason(config: BreakerConfig, consecutive_failures: int, stats: WindowStats) -> str | None:
    """Why a CLOSED breaker must open now, in numbers, or None if it stays closed."""
    threshold = config.failure_threshold
    if threshold is not None and consecutive_failures >= threshold:
        return f"{consecutive_failures} consecutive failures >= threshold {threshold}"
    return rate_reason(config, stats.calls, stats.failures, stats.slow)


def rate_reason(config: BreakerConfig, calls: int, failures: int, slow: int) -> str | None:
    """Why a window of `calls` with `failures` failed and `slow` slow calls trips a rate.

    Runs on every outcome of a window with a failure in it, so it builds no text and no
    record until a rule fires.
    """
    if calls < config.minimum_calls:
        return None
    rate_threshold = config.failure_rate_threshold
    if rate_threshold is not None:
        rate = failures / calls
        if rate >= rate_threshold:
            return f"failure rate {rate:.0%} >= {rate_threshold:.0%} {_over(config, calls)}"
    if config.slow_call_duration is not None:
        slow_rate = slow / calls
        if slow_rate >= config.slow_call_rate_threshold:
            return (
                f"slow-call rate {slow_rate:.0%} >= {config.slow_call_rate_threshold:.0%}"
                f" (calls over {config.slow_call_duration:g}s) {_over(config, calls)}"
            )
    return None


def _over(config: BreakerConfig, calls: int) -> str:
    seconds = config.window_duration
    within = "" if seconds is None else f" in the last {seconds:g}s"
    return f"over {calls} calls{within}, minimum {config.minimum_calls} met"


def open_remaining(opened_at: float, now: float, open_for: float) -> float:
    """Seconds until an OPEN breaker may half-open; never more than `open_for`."""
    return min(open_for, max(0.0, open_for - (now - opened_at)))


def elapsed_since(then_wall: float, now_wall: float) -> float:
    """Wall seconds since `then_wall`, read as 0 when the wall clock has gone backwards.

    Restoring "no time has passed" bounds the remaining open wait by `open_for`; trusting
    a negative difference would keep a breaker OPEN for as long as the clock was wrong.
    """
    return max(0.0, now_wall - then_wall)

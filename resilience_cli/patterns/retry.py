"""Retry: exponential backoff with full jitter, Retry-After, and a deadline.

- `attempts` counts the first call, as Resilience4j does (Polly counts only retries, so
  Polly's `MaxRetryAttempts=3` is our `attempts=4`).
- The n-th retry (n = 0 for the first) waits `U(0, min(max_delay, base_delay * 2**n))`,
  AWS's "full jitter", drawn from an injected, seeded `random.Random`.
- Only retryable failures are retried (timeouts, connection errors, 5xx and 429 by
  default), never a call that a pattern refused (breaker open, bulkhead full, no token).
- A Retry-After from the upstream, in seconds or as an HTTP-date, is a floor: the wait is
  `max(jitter, retry_after)`, never less. It may exceed `max_delay`, because the upstream
  asked for it. A date in the past means no floor.
- When the wait would end at or after the call's deadline, the retry gives up at once
  instead of sleeping into certain failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from resilience_cli.errors import ConfigError

if TYPE_CHECKING:
    import random

    from resilience_cli.patterns.outcome import Failure

# 2**64 times any sane base delay dwarfs any cap, and larger exponents overflow a float.
_MAX_DOUBLINGS = 64


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """How many attempts in all (first call included), and the backoff's base and cap."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 5.0
    honor_retry_after: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(
                "retry.attempts", f"must be >= 1 (it counts the first call), got {self.attempts}"
            )
        if not (math.isfinite(self.base_delay) and self.base_delay >= 0):
            raise ConfigError("retry.base_delay", f"must be >= 0 seconds, got {self.base_delay}")
        if not (math.isfinite(self.max_delay) and self.max_delay >= self.base_delay):
            raise ConfigError(
                "retry.max_delay",
                f"must be >= base_delay {self.base_delay}, got {self.max_delay}",
            )


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Retry after `delay` seconds, or (delay None) stop, for the reason in `why`."""

    delay: float | None
    why: str = ""


def backoff_ceiling(retry_index: int, base: float, cap: float) -> float:
    """`min(cap, base * 2**retry_index)`: the top of the full-jitter range."""
    if retry_index >= _MAX_DOUBLINGS:
        return cap
    return min(cap, base * 2.0**retry_index)


def full_jitter(retry_index: int, base: float, cap: float, rng: random.Random) -> float:
    """A delay drawn uniformly from `[0, min(cap, base * 2**retry_index)]`."""
    return rng.uniform(0.0, backoff_ceiling(retry_index, base, cap))


def parse_retry_after(value: str, now_wall: float) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date; RFC 9110).

    A date in the past gives 0. A value that is neither form gives None (ignored).
    """
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # HTTP-dates are GMT by definition; a zoneless one is malformed
    return max(0.0, when.timestamp() - now_wall)


def decide_retry(  # noqa: PLR0913 - each input is a separate fact of the decision
    config: RetryConfig,
    attempt: int,
    failure: Failure,
    *,
    jitter: float,
    now: float,
    deadline: float | None,
) -> RetryDecision:
    """Whether and when to retry after attempt number `attempt` (1-based) failed.

    `jitter` is this retry's full-jitter draw; the decision itself is pure.
    """
    if not failure.retryable:
        return RetryDecision(None, f"{failure.reason} is not retryable")
    if attempt >= config.attempts:
        return RetryDecision(None, f"all {config.attempts} attempts used")
    delay = jitter
    if config.honor_retry_after and failure.retry_after is not None:
        delay = max(delay, failure.retry_after)
    if deadline is not None and now + delay >= deadline:
        return RetryDecision(
            None,
            f"waiting {delay:.3f}s would pass the deadline in {max(0.0, deadline - now):.3f}s",
        )
    return RetryDecision(delay)

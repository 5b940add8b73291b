"""Retry: exponential backoff with full jitter, Retry-After, and a deadline.

- `attempts` counts the first call, as Resilience4j does (Polly counts only retries, so
  Polly's `MaxRetryAttempts=3` is our `attempts=4`).
- The n-th retry (n = 0 for the first) waits `U(0, min(max_delay, base_delay * 2**n))`,
  AWS's "full jitter", drawn from an injected, seeded `random.Random`.
- Only retryable failures are retried (timeouts, connection errors, 5xx and 429 by
  default), never a call that a pattern refused (breaker open, bulkhead full, no token).
- A Retry-After from the upstream is a floor: the wait is `max(jitter, retry_after)`, never
  less. It may exceed `max_delay`, because the upstream asked for it, but not
  `max_retry_after`: a server that asks for more than that is not retried at all (the
  retry never goes early, so the only honest answers are "wait" and "give up"). A date in
  the past means no floor. What counts as a Retry-After is RFC 9110's grammar, exactly:
  delay-seconds (ASCII digits only) or an HTTP-date in one of its three forms, all GMT.
- When the wait would end at or after the call's deadline, or leave less of it than an
  attempt needs (`min_left`, the pipeline's floor), the retry gives up at once instead of
  sleeping into certain failure.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import ConfigError

if TYPE_CHECKING:
    import random

    from resilience_cli.patterns.outcome import Failure

# 2**64 times any sane base delay dwarfs any cap, and larger exponents overflow a float.
_MAX_DOUBLINGS = 64

# RFC 9110, section 10.2.3: Retry-After = HTTP-date / delay-seconds, delay-seconds = 1*DIGIT.
# Section 5.6.7: HTTP-date = IMF-fixdate / obs-date (rfc850-date / asctime-date), all GMT
# and case-sensitive. [0-9], not \d: DIGIT is ASCII, and \d would take any Unicode digit.
_DELAY_SECONDS: Final = re.compile(r"[0-9]+")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_MONTH: Final = rf"(?P<month>{'|'.join(_MONTHS)})"
_TIME: Final = r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
_DAY_NAME: Final = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_HTTP_DATES: Final = (
    # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    re.compile(rf"{_DAY_NAME}, (?P<day>[0-9]{{2}}) {_MONTH} (?P<year>[0-9]{{4}}) {_TIME} GMT"),
    # rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT
    re.compile(
        r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),"
        rf" (?P<day>[0-9]{{2}})-{_MONTH}-(?P<yy>[0-9]{{2}}) {_TIME} GMT"
    ),
    # asctime-date: Sun Nov  6 08:49:37 1994
    re.compile(rf"{_DAY_NAME} {_MONTH} (?P<day>[0-9]{{2}}| [0-9]) {_TIME} (?P<year>[0-9]{{4}})"),
)


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """How many attempts in all (first call included), and the backoff's base and cap."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 5.0
    honor_retry_after: bool = True
    max_retry_after: float | None = 60.0  # None: honour any Retry-After, however long

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
        cap = self.max_retry_after
        if cap is not None and not (math.isfinite(cap) and cap > 0):
            raise ConfigError(
                "retry.max_retry_after", f"must be > 0 seconds (or no cap), got {cap}"
            )


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Retry after `delay` seconds, or (delay None) stop, for the reason in `why`."""

    delay: float | None
    why: str = ""


def backoff_ceiling(retry_index: int, base: float, cap: float) -> float:
    """`min(cap, base * 2**retry_index)`: the top of the full-jitter range."""
    if retry_index >= _MAX_DOUBLINGS:
        return cap if base > 0 else 0.0  # 0 * 2**n is 0 for every n
    return min(cap, base * 2.0**retry_index)


def full_jitter(retry_index: int, base: float, cap: float, rng: random.Random) -> float:
    """A delay drawn uniformly from `[0, min(cap, base * 2**retry_index)]`."""
    return rng.uniform(0.0, backoff_ceiling(retry_index, base, cap))


def parse_retry_after(value: str, now_wall: float) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date; RFC 9110).

    A date in the past gives 0; delay-seconds too large for a float give infinity. A value
    that is neither form gives None (ignored, as the RFC allows for an invalid field).
    """
    text = value.strip(" \t")  # optional whitespace is SP and HTAB, nothing else
    if _DELAY_SECONDS.fullmatch(text):
        return float(text)  # digits only: exact up to 2**53, infinite past a float's range
    wall = parse_http_date(text, now_wall)
    return None if wall is None else max(0.0, wall - now_wall)


def parse_http_date(text: str, now_wall: float) -> float | None:
    """The Unix time of an HTTP-date in any of its three forms (RFC 9110, section 5.6.7).

    `now_wall` places an rfc850-date's two-digit year: one that would be more than 50
    years ahead is the most recent past year with those digits, as the RFC requires.
    """
    for form in _HTTP_DATES:
        match = form.fullmatch(text)
        if match is not None:
            break
    else:
        return None
    fields = match.groupdict()
    month = _MONTHS.index(fields["month"]) + 1
    day, hour, minute, second = (int(fields[name]) for name in ("day", "hour", "minute", "second"))
    if fields.get("yy") is not None:
        now = datetime.fromtimestamp(now_wall, UTC)
        year = now.year // 100 * 100 + int(fields["yy"])
        if (year, month, day) > (now.year + 50, now.month, now.day):
            year -= 100
    else:
        year = int(fields["year"])
    if hour > 23 or minute > 59 or second > 60:  # second 60: a leap second
        return None
    try:
        datetime(year, month, day, tzinfo=UTC)  # a real day of that month
    except ValueError:
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


def decide_retry(  # noqa: PLR0913 - each input is a separate fact of the decision
    config: RetryConfig,
    attempt: int,
    failure: Failure,
    *,
    jitter: float,
    now: float,
    deadline: float | None,
    min_left: float = 0.0,
) -> RetryDecision:
    """Whether and when to retry after attempt number `attempt` (1-based) failed.

    `jitter` is this retry's full-jitter draw; the decision itself is pure. `min_left` is
    the least of the deadline an attempt needs to start (`TimeoutConfig.floor`).
    """
    if not failure.retryable:
        return RetryDecision(None, f"{failure.reason} is not retryable")
    if attempt >= config.attempts:
        return RetryDecision(None, f"all {config.attempts} attempts used")
    delay = jitter
    asked = failure.retry_after
    if config.honor_retry_after and asked is not None:
        refused = _refuse_retry_after(asked, config.max_retry_after)
        if refused is not None:
            return RetryDecision(None, refused)
        delay = max(delay, asked)
    if deadline is not None:
        late = _too_late(delay, now, deadline, min_left)
        if late is not None:
            return RetryDecision(None, late)
    return RetryDecision(delay)


def _refuse_retry_after(asked: float, cap: float | None) -> str | None:
    """Why a Retry-After is not waited for, or None when it is."""
    if cap is not None and asked > cap:
        return f"Retry-After {_seconds(asked)} > max_retry_after {_seconds(cap)}"
    if not math.isfinite(asked):
        return "Retry-After asks to wait forever"
    return None


def _too_late(delay: float, now: float, deadline: float, min_left: float) -> str | None:
    """Why waiting `delay` leaves no time for an attempt, or None when it does."""
    if now + delay >= deadline:
        return f"waiting {delay:.3f}s would pass the deadline in {max(0.0, deadline - now):.3f}s"
    left = deadline - (now + delay)
    if left < min_left:
        return f"waiting {delay:.3f}s would leave {left:.3f}s of the deadline, under {min_left:g}s"
    return None


def _seconds(value: float) -> str:
    return f"{value:g}s" if math.isfinite(value) else "forever"

"""Presets: the documented defaults of the libraries, ours, and the original demo's.

Each preset is a `Policies` value; docs/patterns.md ("Presets") gives every number with
its source, and says where a library's semantics can only be approximated. What no preset
sets is off: `compare` models the breaker, retry, timeouts and the fallback, and neither
the bulkhead nor the rate limiter (the trace's arrivals are the load, as recorded).
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Final

from resilience_cli import defaults
from resilience_cli.errors import UsageError
from resilience_cli.patterns import BreakerConfig, Policies, RetryConfig, TimeoutConfig

_NO_RETRY: Final = RetryConfig(attempts=1, base_delay=0.0, max_delay=0.0)


@dataclass(frozen=True, slots=True)
class Preset:
    """A named set of policies, and the one line that says where it comes from."""

    name: str
    source: str
    policies: Policies


def _ours() -> Policies:
    return Policies(
        bulkhead=None,
        rate_limiter=None,
        timeout=TimeoutConfig(
            attempt=defaults.TIMEOUT_ATTEMPT,
            total=defaults.TIMEOUT_TOTAL,
            min_attempt=defaults.TIMEOUT_MIN_ATTEMPT,
        ),
        retry=RetryConfig(
            attempts=defaults.RETRY_ATTEMPTS,
            base_delay=defaults.RETRY_BASE_DELAY,
            max_delay=defaults.RETRY_MAX_DELAY,
        ),
        breaker=BreakerConfig(
            failure_threshold=defaults.FAILURE_THRESHOLD,
            failure_rate_threshold=defaults.FAILURE_RATE,
            window_size=defaults.WINDOW,
            minimum_calls=defaults.MIN_CALLS,
            open_for=defaults.OPEN_FOR,
            half_open_max_calls=defaults.HALF_OPEN_PROBES,
            half_open_max_wait=defaults.HALF_OPEN_MAX_WAIT,
        ),
    )


def _breaker_only(
    breaker: BreakerConfig, timeout: TimeoutConfig | None, retry: RetryConfig
) -> Policies:
    return Policies(bulkhead=None, rate_limiter=None, timeout=timeout, retry=retry, breaker=breaker)


PRESETS: Final = {
    preset.name: preset
    for preset in (
        Preset("ours", "the classroom defaults (docs/patterns.md, the default column)", _ours()),
        Preset(
            "demo",
            "the original FastAPI demo: a breaker on consecutive failures (its fail_count)"
            " and a 2 s client timeout; what the demo does not state is ours",
            dataclasses.replace(
                _ours(),
                breaker=BreakerConfig(
                    failure_threshold=defaults.FAILURE_THRESHOLD,
                    failure_rate_threshold=None,
                    open_for=defaults.OPEN_FOR,
                    half_open_max_calls=defaults.HALF_OPEN_PROBES,
                    half_open_max_wait=defaults.HALF_OPEN_MAX_WAIT,
                ),
            ),
        ),
        Preset(
            "resilience4j",
            "Resilience4j 2: CircuitBreakerConfig, RetryConfig, TimeLimiterConfig defaults",
            _breaker_only(
                BreakerConfig(
                    failure_threshold=None,
                    failure_rate_threshold=0.5,
                    window_size=100,
                    minimum_calls=100,
                    slow_call_duration=60.0,
                    slow_call_rate_threshold=1.0,
                    open_for=60.0,
                    half_open_max_calls=10,
                    half_open_max_wait=None,
                ),
                TimeoutConfig(attempt=1.0, total=None, min_attempt=0.0),
                RetryConfig(attempts=3, base_delay=0.5, max_delay=0.5),
            ),
        ),
        Preset(
            "polly",
            "Polly v8: CircuitBreakerStrategyOptions, RetryStrategyOptions, TimeoutStrategyOptions",
            _breaker_only(
                BreakerConfig(
                    failure_threshold=None,
                    failure_rate_threshold=0.1,
                    window_duration=30.0,
                    minimum_calls=100,
                    open_for=5.0,
                    half_open_max_calls=1,
                    half_open_max_wait=None,
                ),
                TimeoutConfig(attempt=None, total=30.0, min_attempt=0.0),
                RetryConfig(attempts=4, base_delay=2.0, max_delay=2.0),
            ),
        ),
        Preset(
            "pybreaker",
            "pybreaker 1.x: CircuitBreaker(fail_max=5, reset_timeout=60, success_threshold=1);"
            " no retry, no timeout",
            _breaker_only(
                BreakerConfig(
                    failure_threshold=5,
                    failure_rate_threshold=None,
                    open_for=60.0,
                    half_open_max_calls=1,
                    half_open_max_wait=None,
                ),
                None,
                _NO_RETRY,
            ),
        ),
        Preset(
            "hystrix",
            "Hystrix 1.5: HystrixCommandProperties defaults; no retry",
            _breaker_only(
                BreakerConfig(
                    failure_threshold=None,
                    failure_rate_threshold=0.5,
                    window_duration=10.0,
                    minimum_calls=20,
                    open_for=5.0,
                    half_open_max_calls=1,
                    half_open_max_wait=None,
                ),
                TimeoutConfig(attempt=1.0, total=None, min_attempt=0.0),
                _NO_RETRY,
            ),
        ),
    )
}
ALIASES: Final = {"seed": "demo", "r4j": "resilience4j"}
DEFAULT_PRESETS: Final = ("ours", "resilience4j", "polly", "pybreaker", "hystrix")


def parse_presets(text: str) -> tuple[Preset, ...]:
    """`ours,resilience4j` as presets, in that order, each once.

    Raises:
        UsageError: An unknown name, with the closest known one.
    """
    chosen: list[Preset] = []
    for raw in text.split(","):
        name = raw.strip().lower()
        name = ALIASES.get(name, name)
        preset = PRESETS.get(name)
        if preset is None:
            close = difflib.get_close_matches(name, [*PRESETS, *ALIASES], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            known = ", ".join(PRESETS)
            raise UsageError(f"--preset: unknown preset {raw.strip()!r}{hint}; known: {known}")
        if preset not in chosen:
            chosen.append(preset)
    return tuple(chosen)

"""The flags every call command shares, and how they become `Policies`.

Each policy knob has a flag, and each flag names its configuration key in `--help`, so a
flag, a scenario key and an error message all say the same thing. `0` switches a pattern
(or one of its limits) off where the help says so.

Typer builds options from a function's signature. The three call commands share some
twenty options, so their signature is assembled once here (`CALL_PARAMETERS`) rather
than written out three times; `CallOptions.parse` reads the values back, typed.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from resilience_cli import defaults
from resilience_cli.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.patterns import Policies

_OUTPUT = "Output and state"
_TIMEOUT = "Timeout and retry"
_LIMITS = "Rate limiter and bulkhead"
_BREAKER = "Circuit breaker"

BASE_URL_ENV: Final = "RESILIENCE_BASE_URL"
LOG_FILE_ENV: Final = "RESILIENCE_LOG_FILE"

# Configuration key -> flag, so a ConfigError names what the user typed.
FLAG_OF: Final = {
    "timeout.attempt": "--timeout",
    "timeout.total": "--deadline",
    "timeout.min_attempt": "--min-attempt",
    "retry.attempts": "--attempts",
    "retry.base_delay": "--backoff",
    "retry.max_delay": "--backoff-cap",
    "retry.max_retry_after": "--max-retry-after",
    "rate_limiter.rate": "--rate",
    "rate_limiter.burst": "--burst",
    "rate_limiter.max_wait": "--rate-wait",
    "bulkhead.max_concurrent": "--max-concurrent",
    "bulkhead.max_queue": "--queue",
    "bulkhead.max_wait": "--queue-wait",
    "breaker.failure_threshold": "--failure-threshold",
    "breaker.failure_rate_threshold": "--failure-rate",
    "breaker.window_size": "--window",
    "breaker.minimum_calls": "--min-calls",
    "breaker.slow_call_duration": "--slow-call",
    "breaker.slow_call_rate_threshold": "--slow-rate",
    "breaker.open_for": "--open-for",
    "breaker.half_open_max_calls": "--half-open-probes",
    "breaker.half_open_max_wait": "--half-open-max-wait",
}

StateFileOption = Annotated[
    Path | None,
    typer.Option(
        "--state-file",
        envvar="RESILIENCE_STATE_FILE",
        help="Breaker state file. [default: .resilience/breaker.json]",
        rich_help_panel=_OUTPUT,
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one versioned JSON document on stdout.", rich_help_panel=_OUTPUT
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar=BASE_URL_ENV,
        help="Send the calls to this httpbin-compatible URL instead of the embedded upstream.",
        rich_help_panel=_OUTPUT,
        show_default=False,
    ),
]
LogFileOption = Annotated[
    Path,
    typer.Option(
        "--log-file",
        envvar=LOG_FILE_ENV,
        help="JSON-lines log of every decision.",
        rich_help_panel=_OUTPUT,
    ),
]

LockTimeoutOption = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        min=0,
        help=(
            "Seconds to wait for another resilience command's state lock (a run holds it"
            " until it ends); 0: do not wait."
        ),
        rich_help_panel=_OUTPUT,
    ),
]


@dataclass(frozen=True, slots=True)
class CallDefaults:
    """Per-command defaults for the options that differ between commands."""

    count: int = 10
    concurrency: int = 10
    timeout: float = defaults.TIMEOUT_ATTEMPT


def _param(name: str, annotation: object, default: object) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def call_parameters(per_command: CallDefaults) -> list[inspect.Parameter]:
    """The shared options of the call commands, as signature parameters."""

    def flag(*names: str, help_text: str, panel: str, minimum: float | None = None) -> object:
        return typer.Option(*names, help=help_text, rich_help_panel=panel, min=minimum)

    return [
        _param(
            "count",
            Annotated[
                int,
                flag("-n", "--count", help_text="Logical calls to make.", panel=_OUTPUT, minimum=1),
            ],
            per_command.count,
        ),
        _param(
            "concurrency",
            Annotated[
                int,
                flag(
                    "-c",
                    "--concurrency",
                    help_text=(
                        "Calls offered at once (the load; the bulkhead decides how many run)."
                    ),
                    panel=_OUTPUT,
                    minimum=1,
                ),
            ],
            per_command.concurrency,
        ),
        _param(
            "seed",
            Annotated[
                int,
                flag(
                    "--seed",
                    help_text=(
                        "Seed for the call mix, the jitter and the upstream's random answers."
                    ),
                    panel=_OUTPUT,
                ),
            ],
            0,
        ),
        _param("json", JsonOption, default=False),
        _param("base_url", BaseUrlOption, None),
        _param("state_file", StateFileOption, None),
        _param("lock_timeout", LockTimeoutOption, defaults.LOCK_TIMEOUT),
        _param("log_file", LogFileOption, defaults.LOG_FILE),
        _param(
            "virtual_time",
            Annotated[
                bool,
                typer.Option(
                    "--virtual-time",
                    help=(
                        "Run on a virtual clock against the in-process upstream:"
                        " minutes of waits in milliseconds, the same result for a seed."
                    ),
                    rich_help_panel=_OUTPUT,
                ),
            ],
            default=False,
        ),
        _param(
            "timeout",
            Annotated[
                float,
                flag(
                    "--timeout",
                    help_text="Seconds per attempt (timeout.attempt; 0: off).",
                    panel=_TIMEOUT,
                    minimum=0,
                ),
            ],
            per_command.timeout,
        ),
        _param(
            "deadline",
            Annotated[
                float,
                flag(
                    "--deadline",
                    help_text="Seconds per logical call, retries included (timeout.total; 0: off).",
                    panel=_TIMEOUT,
                    minimum=0,
                ),
            ],
            defaults.TIMEOUT_TOTAL,
        ),
        _param(
            "min_attempt",
            Annotated[
                float,
                flag(
                    "--min-attempt",
                    help_text=(
                        "An attempt left less of the deadline than this many seconds does not"
                        " start (timeout.min_attempt; 0: no floor)."
                    ),
                    panel=_TIMEOUT,
                    minimum=0,
                ),
            ],
            defaults.TIMEOUT_MIN_ATTEMPT,
        ),
        _param(
            "attempts",
            Annotated[
                int,
                flag(
                    "--attempts",
                    help_text=(
                        "Attempts per call, the first included (retry.attempts; 1: no retry)."
                    ),
                    panel=_TIMEOUT,
                    minimum=1,
                ),
            ],
            defaults.RETRY_ATTEMPTS,
        ),
        _param(
            "backoff",
            Annotated[
                float,
                flag(
                    "--backoff",
                    help_text="Base of the full-jitter backoff, seconds (retry.base_delay).",
                    panel=_TIMEOUT,
                    minimum=0,
                ),
            ],
            defaults.RETRY_BASE_DELAY,
        ),
        _param(
            "backoff_cap",
            Annotated[
                float,
                flag(
                    "--backoff-cap",
                    help_text="Cap of the backoff, seconds (retry.max_delay).",
                    panel=_TIMEOUT,
                    minimum=0,
                ),
            ],
            defaults.RETRY_MAX_DELAY,
        ),
        _param(
            "retry_after",
            Annotated[
                bool,
                typer.Option(
                    "--retry-after/--no-retry-after",
                    help="Honour the upstream's Retry-After as a floor (retry.honor_retry_after).",
                    rich_help_panel=_TIMEOUT,
                ),
            ],
            default=True,
        ),
        _param(
            "max_retry_after",
            Annotated[
                float,
                flag(
                    "--max-retry-after",
                    help_text=(
                        "Longest Retry-After waited for, seconds; a longer one ends the retries"
                        " (retry.max_retry_after; 0: no cap)."
                    ),
                    panel=_TIMEOUT,
                    minimum=0,
                ),
            ],
            defaults.RETRY_MAX_RETRY_AFTER,
        ),
        _param(
            "rate",
            Annotated[
                float,
                flag(
                    "--rate",
                    help_text="Tokens per second (rate_limiter.rate; 0: no limiter).",
                    panel=_LIMITS,
                    minimum=0,
                ),
            ],
            defaults.RATE,
        ),
        _param(
            "burst",
            Annotated[
                int, flag("--burst", help_text="Bucket size (rate_limiter.burst).", panel=_LIMITS)
            ],
            defaults.BURST,
        ),
        _param(
            "rate_wait",
            Annotated[
                float,
                flag(
                    "--rate-wait",
                    help_text="Longest wait for a token, seconds (rate_limiter.max_wait).",
                    panel=_LIMITS,
                    minimum=0,
                ),
            ],
            defaults.RATE_MAX_WAIT,
        ),
        _param(
            "max_concurrent",
            Annotated[
                int,
                flag(
                    "--max-concurrent",
                    help_text="Calls in flight at once (bulkhead.max_concurrent; 0: no bulkhead).",
                    panel=_LIMITS,
                    minimum=0,
                ),
            ],
            defaults.MAX_CONCURRENT,
        ),
        _param(
            "queue",
            Annotated[
                int,
                flag(
                    "--queue",
                    help_text=(
                        "Callers that may wait for a slot (bulkhead.max_queue; -1: no bound)."
                    ),
                    panel=_LIMITS,
                    minimum=-1,
                ),
            ],
            defaults.MAX_QUEUE,
        ),
        _param(
            "queue_wait",
            Annotated[
                float,
                flag(
                    "--queue-wait",
                    help_text=(
                        "Longest wait for a slot, seconds (bulkhead.max_wait; 0: reject at once)."
                    ),
                    panel=_LIMITS,
                    minimum=0,
                ),
            ],
            defaults.QUEUE_MAX_WAIT,
        ),
        _param(
            "failure_threshold",
            Annotated[
                int,
                flag(
                    "--failure-threshold",
                    help_text=(
                        "Consecutive failures that open it (breaker.failure_threshold; 0: off)."
                    ),
                    panel=_BREAKER,
                    minimum=0,
                ),
            ],
            defaults.FAILURE_THRESHOLD,
        ),
        _param(
            "failure_rate",
            Annotated[
                float,
                flag(
                    "--failure-rate",
                    help_text=(
                        "Failure rate over the window that opens it"
                        " (breaker.failure_rate_threshold; 0: off)."
                    ),
                    panel=_BREAKER,
                    minimum=0,
                ),
            ],
            defaults.FAILURE_RATE,
        ),
        _param(
            "window",
            Annotated[
                int,
                flag(
                    "--window",
                    help_text="Calls in the sliding window (breaker.window_size).",
                    panel=_BREAKER,
                ),
            ],
            defaults.WINDOW,
        ),
        _param(
            "min_calls",
            Annotated[
                int,
                flag(
                    "--min-calls",
                    help_text="Calls before a rate may trip it (breaker.minimum_calls).",
                    panel=_BREAKER,
                ),
            ],
            defaults.MIN_CALLS,
        ),
        _param(
            "slow_call",
            Annotated[
                float,
                flag(
                    "--slow-call",
                    help_text=(
                        "A call slower than this many seconds is slow"
                        " (breaker.slow_call_duration; 0: off)."
                    ),
                    panel=_BREAKER,
                    minimum=0,
                ),
            ],
            0.0,
        ),
        _param(
            "slow_rate",
            Annotated[
                float,
                flag(
                    "--slow-rate",
                    help_text="Slow-call rate that opens it (breaker.slow_call_rate_threshold).",
                    panel=_BREAKER,
                ),
            ],
            defaults.SLOW_RATE,
        ),
        _param(
            "open_for",
            Annotated[
                float,
                flag(
                    "--open-for",
                    help_text="Seconds it stays open before probing (breaker.open_for).",
                    panel=_BREAKER,
                ),
            ],
            defaults.OPEN_FOR,
        ),
        _param(
            "half_open_probes",
            Annotated[
                int,
                flag(
                    "--half-open-probes",
                    help_text="Probes admitted in half-open, in all (breaker.half_open_max_calls).",
                    panel=_BREAKER,
                ),
            ],
            defaults.HALF_OPEN_PROBES,
        ),
        _param(
            "half_open_max_wait",
            Annotated[
                float,
                flag(
                    "--half-open-max-wait",
                    help_text=(
                        "Re-open if half-open has no verdict after this many seconds"
                        " (breaker.half_open_max_wait; 0: off)."
                    ),
                    panel=_BREAKER,
                    minimum=0,
                ),
            ],
            defaults.HALF_OPEN_MAX_WAIT,
        ),
    ]


@dataclass(frozen=True, slots=True)
class CallOptions:
    """The shared options, typed, as the user gave them."""

    count: int
    concurrency: int
    seed: int
    json: bool
    base_url: str | None
    state_file: Path | None
    lock_timeout: float
    log_file: Path
    virtual_time: bool
    timeout: float
    deadline: float
    min_attempt: float
    attempts: int
    backoff: float
    backoff_cap: float
    retry_after: bool
    max_retry_after: float
    rate: float
    burst: int
    rate_wait: float
    max_concurrent: int
    queue: int
    queue_wait: float
    failure_threshold: int
    failure_rate: float
    window: int
    min_calls: int
    slow_call: float
    slow_rate: float
    open_for: float
    half_open_probes: int
    half_open_max_wait: float

    @classmethod
    def parse(cls, values: Mapping[str, object]) -> CallOptions:
        """Read the values Typer parsed back into their types."""

        def i(name: str) -> int:
            value = values[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise UsageError(f"option {name} must be a whole number, got {value!r}")
            return value

        def f(name: str) -> float:
            value = values[name]
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise UsageError(f"option {name} must be a number, got {value!r}")
            return float(value)

        base_url, state_file, log_file = (
            values["base_url"],
            values["state_file"],
            values["log_file"],
        )
        if not (base_url is None or isinstance(base_url, str)):
            raise UsageError("--base-url must be a URL")
        if not (state_file is None or isinstance(state_file, Path)) or not isinstance(
            log_file, Path
        ):
            raise UsageError("--state-file and --log-file must be paths")
        return cls(
            count=i("count"),
            concurrency=i("concurrency"),
            seed=i("seed"),
            json=values["json"] is True,
            base_url=base_url,
            state_file=state_file,
            lock_timeout=f("lock_timeout"),
            log_file=log_file,
            virtual_time=values["virtual_time"] is True,
            timeout=f("timeout"),
            deadline=f("deadline"),
            min_attempt=f("min_attempt"),
            attempts=i("attempts"),
            backoff=f("backoff"),
            backoff_cap=f("backoff_cap"),
            retry_after=values["retry_after"] is True,
            max_retry_after=f("max_retry_after"),
            rate=f("rate"),
            burst=i("burst"),
            rate_wait=f("rate_wait"),
            max_concurrent=i("max_concurrent"),
            queue=i("queue"),
            queue_wait=f("queue_wait"),
            failure_threshold=i("failure_threshold"),
            failure_rate=f("failure_rate"),
            window=i("window"),
            min_calls=i("min_calls"),
            slow_call=f("slow_call"),
            slow_rate=f("slow_rate"),
            open_for=f("open_for"),
            half_open_probes=i("half_open_probes"),
            half_open_max_wait=f("half_open_max_wait"),
        )

    def policies(self) -> Policies:
        """The patterns these flags describe; a nonsense value names its flag."""
        from resilience_cli.patterns import (  # noqa: PLC0415 - keep --help light
            BreakerConfig,
            BulkheadConfig,
            Policies,
            RateLimiterConfig,
            RetryConfig,
            TimeoutConfig,
        )

        def off(value: float) -> float | None:
            return None if value == 0 else value

        try:
            return Policies(
                bulkhead=None
                if self.max_concurrent == 0
                else BulkheadConfig(
                    max_concurrent=self.max_concurrent,
                    max_queue=None if self.queue < 0 else self.queue,
                    max_wait=self.queue_wait,
                ),
                timeout=TimeoutConfig(
                    attempt=off(self.timeout),
                    total=off(self.deadline),
                    min_attempt=self.min_attempt,
                ),
                retry=RetryConfig(
                    attempts=self.attempts,
                    base_delay=self.backoff,
                    max_delay=self.backoff_cap,
                    honor_retry_after=self.retry_after,
                    max_retry_after=off(self.max_retry_after),
                ),
                rate_limiter=None
                if self.rate == 0
                else RateLimiterConfig(rate=self.rate, burst=self.burst, max_wait=self.rate_wait),
                breaker=BreakerConfig(
                    failure_threshold=self.failure_threshold or None,
                    failure_rate_threshold=off(self.failure_rate),
                    window_size=self.window,
                    minimum_calls=self.min_calls,
                    slow_call_duration=off(self.slow_call),
                    slow_call_rate_threshold=self.slow_rate,
                    open_for=self.open_for,
                    half_open_max_calls=self.half_open_probes,
                    half_open_max_wait=off(self.half_open_max_wait),
                ),
            )
        except ConfigError as exc:
            flag = FLAG_OF.get(exc.field, exc.field)
            message = str(exc).removeprefix(f"{exc.field}: ")
            raise UsageError(f"{flag} ({exc.field}): {message}") from None

"""Scenario files as frozen, validated values: what a file may say, and what it means.

The models are pydantic models because one declaration then gives three things that must
agree: the validation (with every problem at once, each with a `loc` the loader maps to a
YAML line), the defaults, and the JSON Schema that editors use to complete and check
scenario files (`schema.py`). `extra="forbid"` makes a misspelt key an error rather than
a silently ignored one, and `frozen=True` makes a loaded scenario a value.

Validation happens in two passes, because some rules need more than one field at once:

- *Structure*: types, counts, durations, unknown keys, one kind per step. This is
  pydantic's own field validation.
- *Meaning*: the threshold grammar (`thresholds.py`), which metrics a step measures and
  which thresholds fit them (`metrics.py`), and the ranges of the pattern configurations
  once `defaults.policies` and a step's `policies` are merged. The ranges are checked by
  constructing the config classes of `resilience_cli.patterns`, so they live in one
  place. These checks produce `Issue`s whose `loc` has the same shape as pydantic's, so
  the loader reports them all, with their lines, next to the structural problems.

Validating a `Scenario` in Python runs both passes and raises on the first problem of
meaning; the loader asks for the structure only (`STRUCTURE_ONLY`) and collects the
meaning itself with `scenario_issues` or, when the structure is broken, `partial_issues`.

Unset policy keys take the command-line flags' defaults (`resilience invoke --help`), so
that a step does exactly what its one-liner does; `tests/scenarios` checks they agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, ClassVar, Final, Literal, Self, TypeAlias, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from resilience_cli import defaults
from resilience_cli.errors import ConfigError
from resilience_cli.mix import DEFAULT_MIX, parse_mix
from resilience_cli.patterns import (
    BreakerConfig,
    BulkheadConfig,
    Policies,
    RateLimiterConfig,
    RetryConfig,
    TimeoutConfig,
)
from resilience_cli.scenarios.metrics import check_pairing, known_metric
from resilience_cli.scenarios.thresholds import (
    ThresholdError,
    equality,
    format_number,
    parse_threshold,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pydantic.config import JsonDict

    from resilience_cli.scenarios.thresholds import Threshold

Loc: TypeAlias = tuple[str | int, ...]

KINDS: Final = ("invoke", "delay", "error", "pause", "state", "force-open", "reset")
CALL_KINDS: Final = frozenset({"invoke", "delay", "error"})
TARGET_EMBEDDED: Final = "embedded"
_STRUCTURE_KEY: Final = "resilience_cli.structure_only"
# Validation context that skips the checks of meaning; the loader collects those itself.
STRUCTURE_ONLY: Final = MappingProxyType({_STRUCTURE_KEY: True})

_KIND_LIST: Final = ", ".join(KINDS)
_SECONDS_HINT: Final = "must be a number of seconds like 2 or 300ms"
_DURATION: Final = re.compile(r"(?P<number>\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>ms|s|m)?")
_DURATION_SCHEMA: Final = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?|\.\d+)\s*(ms|s|m)?\s*$"},
    ]
}
# A text with one of these is a threshold (`count >= 10`); any other scalar means equality.
_OPERATOR_CHARS: Final = "<>=!"


def parse_seconds(value: object) -> float:
    """Read a duration: a number of seconds, or a text such as `300ms`, `2s`, `1.5m`.

    Args:
        value: The value from the file.

    Returns:
        The duration in seconds (a negative number is returned as is, for the range
        check of whatever it configures to refuse with its own words).

    Raises:
        ValueError: It is not a number or a duration text.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(_SECONDS_HINT)  # noqa: TRY004 - pydantic reports ValueError, not TypeError
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if match is None:
            raise ValueError(_SECONDS_HINT)
        number = float(match["number"])
        unit = match["unit"]
        # Division for ms, as thresholds.py does, so that "300ms" and "0.3s" are equal.
        seconds = number / 1000 if unit == "ms" else number * (60 if unit == "m" else 1)
    else:
        seconds = float(value)
    if not math.isfinite(seconds):
        raise ValueError(_SECONDS_HINT)
    return seconds


Whole = Annotated[int, Strict()]
Number = Annotated[float, Strict()]
Flag = Annotated[bool, Strict()]
Text = Annotated[str, Strict()]
Seconds = Annotated[float, BeforeValidator(parse_seconds), WithJsonSchema(_DURATION_SCHEMA)]


class _Frozen(BaseModel):
    """Frozen values; an unknown key is an error; no NaN or infinity sneaks in."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _structure_only(info: ValidationInfo[object]) -> bool:
    context = info.context
    return isinstance(context, Mapping) and context.get(_STRUCTURE_KEY) is True


def format_loc(loc: Loc) -> str:
    """A key path as users read it: `steps[2].invoke.count`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem of meaning: where it is (a pydantic-style `loc`) and what is wrong.

    `at_key` points at the key rather than its value (an unknown metric). `column`, for a
    threshold, is the 0-based offset of the problem in the threshold's text.
    """

    loc: Loc
    message: str
    at_key: bool = False
    column: int | None = None

    def __str__(self) -> str:
        return f"{format_loc(self.loc)}: {self.message}"


# -- policies -----------------------------------------------------------------------------


class _PatternPolicy(_Frozen):
    """One pattern's keys. Field defaults are the command line's; unset keys inherit."""

    def config(self) -> object:
        """The pattern's configuration object; its `ConfigError` names a bad key."""
        raise NotImplementedError


class TimeoutPolicy(_PatternPolicy):
    """`timeout`: bounds per attempt and per logical call."""

    attempt: Seconds | None = Field(
        default=defaults.TIMEOUT_ATTEMPT,
        description="Seconds per attempt (--timeout); null: no attempt timeout.",
    )
    total: Seconds | None = Field(
        default=defaults.TIMEOUT_TOTAL,
        description="Seconds per logical call, retries included (--deadline); null: none.",
    )
    min_attempt: Seconds = Field(
        default=defaults.TIMEOUT_MIN_ATTEMPT,
        description="An attempt left less of the deadline does not start (--min-attempt); 0: none.",
    )

    def config(self) -> TimeoutConfig:
        """The `TimeoutConfig` these keys describe."""
        return TimeoutConfig(attempt=self.attempt, total=self.total, min_attempt=self.min_attempt)


class RetryPolicy(_PatternPolicy):
    """`retry`: attempts with full-jitter exponential backoff."""

    attempts: Whole = Field(
        default=defaults.RETRY_ATTEMPTS,
        description="Attempts per call, the first included (--attempts).",
    )
    base_delay: Seconds = Field(
        default=defaults.RETRY_BASE_DELAY, description="Base of the backoff, seconds (--backoff)."
    )
    max_delay: Seconds = Field(
        default=defaults.RETRY_MAX_DELAY, description="Cap of the backoff, seconds (--backoff-cap)."
    )
    honor_retry_after: Flag = Field(
        default=True, description="Treat the upstream's Retry-After as a floor (--retry-after)."
    )
    max_retry_after: Seconds | None = Field(
        default=defaults.RETRY_MAX_RETRY_AFTER,
        description="Longest Retry-After waited for; longer ends the retries (--max-retry-after);"
        " null: no cap.",
    )

    def config(self) -> RetryConfig:
        """The `RetryConfig` these keys describe."""
        return RetryConfig(
            attempts=self.attempts,
            base_delay=self.base_delay,
            max_delay=self.max_delay,
            honor_retry_after=self.honor_retry_after,
            max_retry_after=self.max_retry_after,
        )


class RateLimiterPolicy(_PatternPolicy):
    """`rate_limiter`: a token bucket."""

    rate: Number = Field(default=defaults.RATE, description="Tokens per second (--rate).")
    burst: Whole = Field(default=defaults.BURST, description="Bucket size (--burst).")
    max_wait: Seconds = Field(
        default=defaults.RATE_MAX_WAIT,
        description="Longest wait for a token, seconds (--rate-wait).",
    )

    def config(self) -> RateLimiterConfig:
        """The `RateLimiterConfig` these keys describe."""
        return RateLimiterConfig(rate=self.rate, burst=self.burst, max_wait=self.max_wait)


class BulkheadPolicy(_PatternPolicy):
    """`bulkhead`: bounded concurrency with a bounded queue."""

    max_concurrent: Whole = Field(
        default=defaults.MAX_CONCURRENT, description="Calls in flight at once (--max-concurrent)."
    )
    max_queue: Whole | None = Field(
        default=defaults.MAX_QUEUE,
        description="Callers that may wait for a slot (--queue); 0: none; null: no bound.",
    )
    max_wait: Seconds | None = Field(
        default=defaults.QUEUE_MAX_WAIT,
        description="Longest wait for a slot, seconds (--queue-wait); null: no bound.",
    )

    def config(self) -> BulkheadConfig:
        """The `BulkheadConfig` these keys describe."""
        return BulkheadConfig(
            max_concurrent=self.max_concurrent, max_queue=self.max_queue, max_wait=self.max_wait
        )


class BreakerPolicy(_PatternPolicy):
    """`breaker`: the circuit breaker's trip and recovery rules."""

    failure_threshold: Whole | None = Field(
        default=defaults.FAILURE_THRESHOLD,
        description="Consecutive failures that open it (--failure-threshold); null: off.",
    )
    failure_rate_threshold: Number | None = Field(
        default=defaults.FAILURE_RATE,
        description="Failure rate over the window that opens it (--failure-rate); null: off.",
    )
    window_size: Whole = Field(
        default=defaults.WINDOW, description="Calls in the sliding window (--window)."
    )
    minimum_calls: Whole = Field(
        default=defaults.MIN_CALLS, description="Calls before a rate may trip it (--min-calls)."
    )
    slow_call_duration: Seconds | None = Field(
        default=None, description="A call slower than this is slow (--slow-call); null: off."
    )
    slow_call_rate_threshold: Number = Field(
        default=defaults.SLOW_RATE, description="Slow-call rate that opens it (--slow-rate)."
    )
    open_for: Seconds = Field(
        default=defaults.OPEN_FOR, description="Seconds it stays open (--open-for)."
    )
    half_open_max_calls: Whole = Field(
        default=defaults.HALF_OPEN_PROBES,
        description="Probes admitted in half-open, in all (--half-open-probes).",
    )
    half_open_max_wait: Seconds | None = Field(
        default=defaults.HALF_OPEN_MAX_WAIT,
        description="Re-open after this long without a verdict (--half-open-max-wait).",
    )

    def config(self) -> BreakerConfig:
        """The `BreakerConfig` these keys describe."""
        return BreakerConfig(
            failure_threshold=self.failure_threshold,
            failure_rate_threshold=self.failure_rate_threshold,
            window_size=self.window_size,
            minimum_calls=self.minimum_calls,
            slow_call_duration=self.slow_call_duration,
            slow_call_rate_threshold=self.slow_call_rate_threshold,
            open_for=self.open_for,
            half_open_max_calls=self.half_open_max_calls,
            half_open_max_wait=self.half_open_max_wait,
        )


_OFF = "; null switches the pattern off."


class PolicyOverrides(_Frozen):
    """`policies:`: keys to change, by pattern; a key left out keeps the layer below's value."""

    bulkhead: BulkheadPolicy | None = Field(
        default_factory=BulkheadPolicy, description="The bulkhead" + _OFF
    )
    timeout: TimeoutPolicy | None = Field(
        default_factory=TimeoutPolicy, description="Attempt timeout and deadline" + _OFF
    )
    retry: RetryPolicy | None = Field(default_factory=RetryPolicy, description="Retry" + _OFF)
    rate_limiter: RateLimiterPolicy | None = Field(
        default_factory=RateLimiterPolicy, description="The rate limiter" + _OFF
    )
    breaker: BreakerPolicy | None = Field(
        default_factory=BreakerPolicy, description="The circuit breaker" + _OFF
    )


_PolicyT = TypeVar("_PolicyT", bound=_PatternPolicy)


def _merge(name: str, base: _PolicyT, layers: Sequence[PolicyOverrides]) -> _PolicyT | None:
    """Deep-merge one pattern's keys over `base`, outermost layer first; None is off."""
    merged: _PolicyT | None = base
    for layer in layers:
        if name not in layer.model_fields_set:
            continue
        given = getattr(layer, name)
        if given is None:
            merged = None
            continue
        updates = {key: getattr(given, key) for key in given.model_fields_set}
        # After an earlier layer switched it off, a mapping starts again from `base`.
        merged = (base if merged is None else merged).model_copy(update=updates)
    return merged


@dataclass(frozen=True, slots=True)
class _Merged:
    bulkhead: BulkheadPolicy | None
    timeout: TimeoutPolicy | None
    retry: RetryPolicy | None
    rate_limiter: RateLimiterPolicy | None
    breaker: BreakerPolicy | None

    @classmethod
    def of(cls, layers: Sequence[PolicyOverrides]) -> _Merged:
        return cls(
            bulkhead=_merge("bulkhead", BulkheadPolicy(), layers),
            timeout=_merge("timeout", TimeoutPolicy(), layers),
            retry=_merge("retry", RetryPolicy(), layers),
            rate_limiter=_merge("rate_limiter", RateLimiterPolicy(), layers),
            breaker=_merge("breaker", BreakerPolicy(), layers),
        )

    def patterns(self) -> Iterator[_PatternPolicy]:
        for policy in (self.bulkhead, self.timeout, self.retry, self.rate_limiter, self.breaker):
            if policy is not None:
                yield policy

    def policies(self) -> Policies:
        return Policies(
            bulkhead=None if self.bulkhead is None else self.bulkhead.config(),
            timeout=None if self.timeout is None else self.timeout.config(),
            retry=None if self.retry is None else self.retry.config(),
            rate_limiter=None if self.rate_limiter is None else self.rate_limiter.config(),
            breaker=None if self.breaker is None else self.breaker.config(),
        )


def resolve_policies(*layers: PolicyOverrides) -> Policies:
    """Deep-merge policy layers, outermost first, over the command line's defaults.

    A key a layer sets replaces the one below; `null` for a pattern switches it off, and a
    mapping for it in a later layer switches it on again from the defaults.

    Args:
        *layers: `defaults.policies`, then a step's `policies`.

    Returns:
        The pattern configurations.

    Raises:
        ConfigError: A merged value is out of range (only for a scenario validated with
            `STRUCTURE_ONLY` that has issues).
    """
    return _Merged.of(layers).policies()


def _policy_issues(
    layers: Sequence[tuple[Loc, PolicyOverrides]], *, known: frozenset[str] = frozenset()
) -> list[Issue]:
    """One issue per pattern whose merged configuration is out of range.

    `known` holds the errors `defaults.policies` alone has; a step that does not set the
    key in question inherits them, and they are reported once, at the defaults.
    """
    issues = []
    for policy in _Merged.of([layer for _, layer in layers]).patterns():
        try:
            policy.config()
        except ConfigError as exc:
            if str(exc) not in known or _sets(layers[-1][1], exc.field):
                issues.append(_locate_config_error(exc, layers))
    return issues


def _config_errors(defaults: PolicyOverrides) -> frozenset[str]:
    errors = set()
    for policy in _Merged.of([defaults]).patterns():
        try:
            policy.config()
        except ConfigError as exc:
            errors.add(str(exc))
    return frozenset(errors)


def _sets(layer: PolicyOverrides, field: str) -> bool:
    """Whether `layer` sets the key `field` (`breaker.open_for`) itself."""
    pattern, _, key = field.partition(".")
    given = getattr(layer, pattern) if pattern in layer.model_fields_set else None
    return given is not None and key in given.model_fields_set


def _locate_config_error(exc: ConfigError, layers: Sequence[tuple[Loc, PolicyOverrides]]) -> Issue:
    """Point at the layer that set the bad key, else at the innermost that set its pattern."""
    pattern, _, key = exc.field.partition(".")
    # The config classes say "(or off)"; in a scenario file, off is spelt null.
    message = str(exc).removeprefix(f"{exc.field}: ").replace("(or off)", "(or null: off)")
    touching = [
        (prefix, getattr(layer, pattern))
        for prefix, layer in layers
        if pattern in layer.model_fields_set and getattr(layer, pattern) is not None
    ]
    innermost = touching[-1][0] if touching else None
    for prefix, given in reversed(touching):
        if key in given.model_fields_set:
            if innermost is not None and prefix != innermost:
                message += f" (merged with {format_loc((*innermost, pattern))})"
            return Issue((*prefix, pattern, key), message)
    # No layer set the key: it kept its default, which another key now contradicts.
    where = layers[-1][0] if innermost is None else innermost
    return Issue((*where, pattern), f"{key} {message} (its default)")


# -- steps ----------------------------------------------------------------------------------


def _check_mix(text: str) -> str:
    parse_mix(text)  # the same rules as `--mix`; its ValueError says what is wrong
    return text


class _CallSettings(_Frozen):
    """What every call step shares."""

    DEFAULT_CONCURRENCY: ClassVar[int] = 10

    concurrency: Whole | None = Field(
        default=None,
        ge=1,
        description="Calls offered at once; default: defaults.concurrency, else the kind's.",
    )


class InvokeSettings(_CallSettings):
    """`invoke`: mixed calls, as `resilience invoke` makes them."""

    DEFAULT_CONCURRENCY: ClassVar[int] = 10

    count: Whole = Field(default=10, ge=1, description="Logical calls to make.")
    mix: Text = Field(default=DEFAULT_MIX, description="Weighted paths: /path:weight,...")

    @field_validator("mix")
    @classmethod
    def _mix(cls, value: str) -> str:
        return _check_mix(value)


class DelaySettings(_CallSettings):
    """`delay`: calls to `/delay/<seconds>`, as `resilience delay` makes them."""

    DEFAULT_CONCURRENCY: ClassVar[int] = 4

    count: Whole = Field(default=8, ge=1, description="Logical calls to make.")
    seconds: Seconds = Field(
        default=3.0, ge=0, description="How long the upstream waits to answer."
    )


class ErrorSettings(_CallSettings):
    """`error`: calls to `/status/<status>`, as `resilience error` makes them."""

    DEFAULT_CONCURRENCY: ClassVar[int] = 1

    count: Whole = Field(default=20, ge=1, description="Logical calls to make.")
    status: Whole = Field(
        default=500, ge=100, le=599, description="The status the upstream answers."
    )


class PauseSettings(_Frozen):
    """`pause`: wait, so that time passes for the breaker (its open window) and the limiter."""

    seconds: Seconds = Field(ge=0, description="How long to wait: 30, 30s, 300ms, 1.5m.")


class StateSettings(_Frozen):
    """`state`: look at the breaker, as `resilience state` does."""


class ForceOpenSettings(_Frozen):
    """`force-open`: hold the breaker open until a reset."""

    reason: Text = Field(
        default="forced open by the operator", description="Why, for the log and state."
    )


class ResetSettings(_Frozen):
    """`reset`: close the breaker and clear its counters."""


StepSettings: TypeAlias = (
    InvokeSettings
    | DelaySettings
    | ErrorSettings
    | PauseSettings
    | StateSettings
    | ForceOpenSettings
    | ResetSettings
)
CallSettings: TypeAlias = InvokeSettings | DelaySettings | ErrorSettings


def _null_is_empty(value: object) -> object:
    """`state:` with nothing after it means `state: {}`."""
    return {} if value is None else value


def _pause_form(value: object) -> object:
    """`pause: 30s` and `pause: 30` mean `pause: {seconds: 30}`."""
    return value if isinstance(value, dict) else {"seconds": value}


def _threshold_text(value: object) -> str | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError("must be a threshold like 'p(95) < 300ms', or a value like open or 3")


ThresholdText = Annotated[
    str | float | bool,
    PlainValidator(_threshold_text, json_schema_input_type=str | float | bool),
]


def _no_default(schema: JsonDict) -> None:
    """Leave a default out of the schema when the real one is computed."""
    schema.pop("default", None)


class ThresholdSpec(_Frozen):
    """One expectation on a metric: `p(95) < 300ms`, or a bare value meaning `value == it`."""

    threshold: ThresholdText = Field(
        description=(
            "`<aggregation> <operator> <value>` (k6 style), e.g. 'p(95) < 300ms' or"
            " 'count >= 10'; a bare value such as open or 20 means 'value == open'."
        )
    )
    strict: Flag = Field(
        default=True, description="false: report a failure but do not fail the run."
    )
    abort_on_fail: Flag = Field(
        default=False, description="true: stop the scenario (then run finally) when it fails."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if isinstance(data, str | int | float | bool):
            return {"threshold": data}
        if isinstance(data, dict):
            return data
        raise ValueError(
            "must be a threshold like 'p(95) < 300ms', or a mapping with threshold, strict"
            " and abort_on_fail"
        )

    def parsed(self) -> Threshold:
        """The threshold this stands for.

        Raises:
            ThresholdError: The text does not parse; `column` is 0-based within it.
        """
        value = self.threshold
        if isinstance(value, str) and any(char in _OPERATOR_CHARS for char in value):
            return parse_threshold(value)
        return equality(value)

    @property
    def source(self) -> str:
        """The threshold as the file spells it."""
        value = self.threshold
        if isinstance(value, bool):
            return str(value).lower()
        return value.strip() if isinstance(value, str) else format_number(value)


def _as_list(value: object) -> object:
    """A single threshold means a list of one."""
    return value if isinstance(value, list | tuple) else [value]


Thresholds = Annotated[
    tuple[ThresholdSpec, ...],
    BeforeValidator(
        _as_list,
        json_schema_input_type=str
        | float
        | bool
        | ThresholdSpec
        | list[str | float | bool | ThresholdSpec],
    ),
    Field(min_length=1),
]


@dataclass(frozen=True, slots=True)
class Expectation:
    """One threshold on one metric of a step, parsed; `source` is the threshold as written."""

    metric: str
    threshold: Threshold
    strict: bool
    abort_on_fail: bool
    source: str


class Step(_Frozen):
    """One step: exactly one kind key (a subcommand, or `pause`), and optional extras."""

    name: Text = Field(
        default="",
        description="Shown in reports; default '<index>-<kind>', e.g. '3-error'.",
        json_schema_extra=_no_default,
    )
    invoke: Annotated[
        InvokeSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=InvokeSettings | None),
    ] = Field(default=None, description="Mixed calls, as `resilience invoke`.")
    delay: Annotated[
        DelaySettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=DelaySettings | None),
    ] = Field(default=None, description="Calls that wait upstream, as `resilience delay`.")
    error: Annotated[
        ErrorSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=ErrorSettings | None),
    ] = Field(default=None, description="Calls that fail upstream, as `resilience error`.")
    pause: Annotated[
        PauseSettings | None,
        BeforeValidator(_pause_form, json_schema_input_type=Seconds | PauseSettings),
    ] = Field(default=None, description="Wait: 30s, 300ms, a number of seconds, or {seconds: ...}.")
    state: Annotated[
        StateSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=StateSettings | None),
    ] = Field(default=None, description="Look at the breaker, as `resilience state`.")
    force_open: Annotated[
        ForceOpenSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=ForceOpenSettings | None),
    ] = Field(
        default=None,
        alias="force-open",
        description="Hold the breaker open, as `resilience force-open`.",
    )
    reset: Annotated[
        ResetSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=ResetSettings | None),
    ] = Field(default=None, description="Close the breaker, as `resilience reset`.")
    policies: PolicyOverrides = Field(
        default_factory=PolicyOverrides,
        description="Call steps only: deep-merged over defaults.policies for this step.",
    )
    expect: dict[Text, Thresholds] = Field(
        default_factory=dict,
        description="Metric -> threshold or list of thresholds; all must hold after the step.",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: object) -> object:
        if isinstance(data, str) and data in KINDS:
            raise ValueError(f"a step is a mapping: write '{data}: {{}}', not '{data}'")
        if not isinstance(data, dict):
            return data
        kinds = [kind for kind in KINDS if kind in data]
        known = {field.alias or name for name, field in cls.model_fields.items()}
        if len(kinds) != 1 and all(key in known for key in data):
            message = f"step needs exactly one of {_KIND_LIST}"
            if not kinds:
                raise PydanticCustomError("step_kind", message)
            raise PydanticCustomError(
                "step_kind",
                message + f"; it has {' and '.join(kinds)}",
                {"key": kinds[1]},
            )
        if "name" not in data and kinds:
            return {**data, "name": kinds[0]}
        return data

    @model_validator(mode="after")
    def _meaning(self, info: ValidationInfo[object]) -> Self:
        if not _structure_only(info):
            issues = step_issues(self)
            if issues:
                raise ValueError(str(issues[0]))
        return self

    @property
    def kind(self) -> str:
        """The step's kind: its subcommand (`invoke`, `force-open`, ...) or `pause`."""
        return next(kind for kind, _ in self._kinds())

    @property
    def settings(self) -> StepSettings:
        """The settings under the kind key, defaults filled in."""
        return next(settings for _, settings in self._kinds())

    @property
    def is_call(self) -> bool:
        """True for the steps that make calls: invoke, delay, error."""
        return self.kind in CALL_KINDS

    def _kinds(self) -> Iterator[tuple[str, StepSettings]]:
        candidates: tuple[tuple[str, StepSettings | None], ...] = (
            ("invoke", self.invoke),
            ("delay", self.delay),
            ("error", self.error),
            ("pause", self.pause),
            ("state", self.state),
            ("force-open", self.force_open),
            ("reset", self.reset),
        )
        for kind, settings in candidates:
            if settings is not None:
                yield kind, settings

    @cached_property
    def expectations(self) -> tuple[Expectation, ...]:
        """Every threshold of `expect`, parsed, in file order."""
        return tuple(
            Expectation(metric, spec.parsed(), spec.strict, spec.abort_on_fail, spec.source)
            for metric, specs in self.expect.items()
            for spec in specs
        )


def step_issues(step: Step, loc: Loc = ()) -> list[Issue]:
    """The problems of meaning in one step: thresholds, metrics, misplaced policies.

    Args:
        step: A step whose structure is valid.
        loc: Where the step is, e.g. `("steps", 2)`.

    Returns:
        Every problem found, in file order.
    """
    issues: list[Issue] = []
    if "policies" in step.model_fields_set and not step.is_call:
        issues.append(
            Issue(
                (*loc, "policies"),
                f"policies apply to call steps only (invoke, delay, error), not {step.kind}",
                at_key=True,
            )
        )
    for metric, specs in step.expect.items():
        where = (*loc, "expect", metric)
        unknown = known_metric(metric, call_step=step.is_call)
        if unknown is not None:
            issues.append(Issue(where, unknown, at_key=True))
        for index, spec in enumerate(specs):
            try:
                threshold = spec.parsed()
            except ThresholdError as exc:
                issues.append(Issue((*where, index, "threshold"), str(exc), column=exc.column))
                continue
            mismatch = None if unknown is not None else check_pairing(metric, threshold)
            if mismatch is not None:
                issues.append(Issue((*where, index, "threshold"), mismatch))
    return issues


# -- the scenario ---------------------------------------------------------------------------


class Defaults(_Frozen):
    """`defaults:`: what every step gets unless it says otherwise."""

    concurrency: Whole | None = Field(
        default=None,
        ge=1,
        description="Calls offered at once by every call step that does not say.",
    )
    policies: PolicyOverrides = Field(
        default_factory=PolicyOverrides,
        description="Pattern settings for every step; a step's policies are merged over them.",
    )


def _check_target(value: str) -> str:
    if value == TARGET_EMBEDDED:
        return value
    parts = urlsplit(value)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return value
    raise ValueError("must be 'embedded' or an http(s) URL such as http://127.0.0.1:8080")


class Scenario(_Frozen):
    """A scenario file, version 1: steps that script the subcommands, and their expectations."""

    version: Literal[1] = Field(description="The format version: 1.")
    title: Text = Field(min_length=1, description="What the scenario shows, in a few words.")
    description: Text | None = Field(
        default=None, description="What to watch for; shown before the run."
    )
    seed: Whole = Field(default=0, description="Seeds the call mix, the jitter and the upstream.")
    target: Text = Field(
        default=TARGET_EMBEDDED, description="'embedded' (the built-in upstream) or an http(s) URL."
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Defaults for every step.")
    steps: tuple[Step, ...] = Field(min_length=1, description="The steps, run in order.")
    finally_: tuple[Step, ...] = Field(
        (), alias="finally", description="Steps that always run last, even after a failure."
    )

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        if isinstance(value, bool):  # `Literal[1]` would take `true` for 1
            raise ValueError("must be 1")  # noqa: TRY004 - pydantic wants ValueError
        return value

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return _check_target(value)

    @model_validator(mode="before")
    @classmethod
    def _default_names(cls, data: object) -> object:
        """Unnamed steps are called `<index>-<kind>` (`finally-<index>-<kind>` at the end)."""
        if not isinstance(data, dict):
            return data
        named = dict(data)
        for section, prefix in (("steps", ""), ("finally", "finally-")):
            steps = data.get(section)
            if isinstance(steps, list):
                named[section] = [
                    _named(step, f"{prefix}{index}") for index, step in enumerate(steps, 1)
                ]
        return named

    @model_validator(mode="after")
    def _meaning(self, info: ValidationInfo[object]) -> Self:
        if not _structure_only(info):
            issues = scenario_issues(self)
            if issues:
                more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
                raise ValueError(f"{issues[0]}{more}")
        return self

    def sections(self) -> Iterator[tuple[Loc, Step]]:
        """Every step with where it is: `("steps", 0)`, ..., then `("finally", 0)`, ..."""
        for index, step in enumerate(self.steps):
            yield ("steps", index), step
        for index, step in enumerate(self.finally_):
            yield ("finally", index), step

    def resolved_policies(self, step: Step) -> Policies:
        """The patterns for `step`: its `policies` deep-merged over `defaults.policies`.

        Args:
            step: One of this scenario's steps.

        Returns:
            The configuration objects the pipeline is built from.
        """
        return resolve_policies(self.defaults.policies, step.policies)

    def resolved_concurrency(self, step: Step) -> int:
        """Calls a call step offers at once: its own, else `defaults.concurrency`, else its kind's.

        Raises:
            ValueError: The step makes no calls.
        """
        settings = step.settings
        if not isinstance(settings, InvokeSettings | DelaySettings | ErrorSettings):
            raise ValueError(f"a {step.kind} step makes no calls")  # noqa: TRY004 - a wrong step, not a wrong type
        if settings.concurrency is not None:
            return settings.concurrency
        if self.defaults.concurrency is not None:
            return self.defaults.concurrency
        return settings.DEFAULT_CONCURRENCY


def _named(step: object, index: str) -> object:
    if not isinstance(step, dict) or "name" in step:
        return step
    kind = next((kind for kind in KINDS if kind in step), None)
    return step if kind is None else {**step, "name": f"{index}-{kind}"}


_DEFAULTS_LOC: Final = ("defaults", "policies")


def scenario_issues(scenario: Scenario) -> list[Issue]:
    """Every problem of meaning in a scenario whose structure is valid, in file order."""
    defaults = scenario.defaults.policies
    issues = _policy_issues([(_DEFAULTS_LOC, defaults)])
    known = _config_errors(defaults)
    names: dict[str, Loc] = {}
    for loc, step in scenario.sections():
        issues += step_issues(step, loc)
        layers = [(_DEFAULTS_LOC, defaults), ((*loc, "policies"), step.policies)]
        issues += _policy_issues(layers, known=known)
        if step.name in names:
            issues.append(
                Issue(
                    (*loc, "name"),
                    f"name {step.name!r} is already used by {format_loc(names[step.name])};"
                    " reports need unique names",
                )
            )
        names.setdefault(step.name, loc)
    return _unique(issues)


def partial_issues(data: Mapping[str, object]) -> list[Issue]:
    """The problems of meaning in the parts of a scenario whose structure is valid.

    When the file has structural problems there is no `Scenario` to check, but its sound
    parts are still worth checking, so that one pass of the loader reports as much as it
    can: `defaults.policies`, and each step's `policies` and `expect` on their own.
    """
    raw_defaults = data.get("defaults")
    raw_policies = raw_defaults.get("policies", {}) if isinstance(raw_defaults, dict) else {}
    defaults = _valid_policies(raw_policies)
    issues = [] if defaults is None else _policy_issues([(_DEFAULTS_LOC, defaults)])
    for section in ("steps", "finally"):
        raw_steps = data.get(section)
        for index, raw in enumerate(raw_steps if isinstance(raw_steps, list) else []):
            issues += _partial_step_issues(raw, (section, index), defaults)
    return _unique(issues)


def _partial_step_issues(raw: object, loc: Loc, defaults: PolicyOverrides | None) -> list[Issue]:
    """Check a step's `expect` and `policies` each on a stand-in step of the same kind."""
    if not isinstance(raw, dict):
        return []
    kinds = [kind for kind in KINDS if kind in raw]
    if len(kinds) != 1:
        return []
    stand_in: dict[str, object] = {kinds[0]: {"seconds": 0} if kinds[0] == "pause" else {}}
    issues: list[Issue] = []
    for part in ("expect", "policies"):
        if part not in raw:
            continue
        try:
            step = Step.model_validate({**stand_in, part: raw[part]}, context=STRUCTURE_ONLY)
        except ValidationError:
            continue
        issues += step_issues(step, loc)
        if part == "policies" and defaults is not None:
            layers = [(_DEFAULTS_LOC, defaults), ((*loc, "policies"), step.policies)]
            issues += _policy_issues(layers, known=_config_errors(defaults))
    return issues


def _valid_policies(raw: object) -> PolicyOverrides | None:
    try:
        return PolicyOverrides.model_validate(raw, context=STRUCTURE_ONLY)
    except ValidationError:
        return None


def _unique(issues: Sequence[Issue]) -> list[Issue]:
    """Drop repeats: a bad default shows up once, not once per step."""
    return list(dict.fromkeys(issues))


def keys_at(loc: Loc) -> tuple[str, ...]:
    """The keys a mapping at `loc` may hold, for did-you-mean hints (empty when unknown)."""
    model: type[BaseModel] = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = next(
            (field for name, field in model.model_fields.items() if (field.alias or name) == part),
            None,
        )
        if field is None:
            continue  # a key of a plain mapping, such as a metric under expect
        inner = _model_in(field.annotation)
        if inner is None:
            return ()
        model = inner
    return tuple(field.alias or name for name, field in model.model_fields.items())


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None

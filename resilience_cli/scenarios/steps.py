"""What each kind of step may say: the settings under its kind key, with the command's defaults.

A call step (`invoke`, `delay`, `error`) takes the flags of its one-liner, with the same
defaults and bounds (both from the settings table), so a step does exactly what its
one-liner does. `pause`, `state`, `force-open` and `reset` take what their commands take;
`compare` replays the calls the run has made so far through presets; `stress` is
`resilience stress`: open-loop arrivals for a duration, with fault phases.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal, Self, TypeAlias

from pydantic import (
    Field,
    PlainValidator,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from resilience_cli.faults import Schedule, parse_phase
from resilience_cli.limits import (
    MAX_BANDWIDTH,
    MAX_INTERVALS,
    MAX_PHASES,
    MAX_REQUESTS,
    MAX_SEED,
)
from resilience_cli.mix import parse_mix, parse_status
from resilience_cli.proxy.faults import FaultProfile
from resilience_cli.scenarios.fields import FrozenModel, Seconds
from resilience_cli.scenarios.requests import check_fail_on
from resilience_cli.settings import BY_NAME
from resilience_cli.stress.profile import LoadProfile, check_profile, parse_stages

KINDS: Final = (
    "invoke",
    "delay",
    "error",
    "pause",
    "state",
    "force-open",
    "reset",
    "faults",
    "compare",
    "stress",
)
CALL_KINDS: Final = frozenset({"invoke", "delay", "error"})


def _check_mix(text: str) -> str:
    parse_mix(text)  # the same rules as `--mix`; its ValueError says what is wrong
    return text


_COUNT: Final = BY_NAME["count"]
_CONCURRENCY: Final = BY_NAME["concurrency"]
_MIX: Final = BY_NAME["mix"]
_SECONDS: Final = BY_NAME["seconds"]
_STATUS: Final = BY_NAME["status"]
_FAIL_ON: Final = BY_NAME["fail_on"]


class _CallSettings(FrozenModel):
    """What every call step shares."""

    DEFAULT_CONCURRENCY: ClassVar[int] = 10

    concurrency: StrictInt | None = Field(
        default=None,
        ge=_CONCURRENCY.low,
        le=_CONCURRENCY.high,
        description="Calls offered at once; default: defaults.concurrency, else the kind's.",
    )
    fail_on: StrictStr | None = Field(
        default=None,
        description=_FAIL_ON.help
        + " (--fail-on); default: defaults.fail_on, else "
        + str(_FAIL_ON.default)
        + ".",
    )

    @field_validator("fail_on")
    @classmethod
    def _fail_on(cls, value: str | None) -> str | None:
        return check_fail_on(value)


def _count(kind: str) -> int:
    """The count of a call step: its command's default, and the bounds of `-n`."""
    return Field(
        default=_COUNT.typed_default(kind, int),
        ge=_COUNT.low,
        le=_COUNT.high,
        description=_COUNT.help + ".",
    )


class InvokeSettings(_CallSettings):
    """`invoke`: mixed calls, as `resilience invoke` makes them."""

    DEFAULT_CONCURRENCY: ClassVar[int] = _CONCURRENCY.typed_default("invoke", int)

    count: StrictInt = _count("invoke")
    mix: StrictStr = Field(default=_MIX.typed_default("invoke", str), description=_MIX.help + ".")
    requests: tuple[StrictStr, ...] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_REQUESTS,
        description="Names from the file's `requests:` to draw from, by their weights,"
        " instead of `mix`.",
    )

    @field_validator("mix")
    @classmethod
    def _mix(cls, value: str) -> str:
        return _check_mix(value)


class DelaySettings(_CallSettings):
    """`delay`: calls to `/delay/<seconds>`, as `resilience delay` makes them."""

    DEFAULT_CONCURRENCY: ClassVar[int] = _CONCURRENCY.typed_default("delay", int)

    count: StrictInt = _count("delay")
    seconds: Seconds = Field(
        default=_SECONDS.typed_default("delay", float),
        ge=_SECONDS.low,
        description=_SECONDS.help + ".",
    )


def _status(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a status such as 500, or a choice such as 200,500")  # noqa: TRY004 - pydantic wants ValueError
    return parse_status(value)


Status = Annotated[
    str,
    PlainValidator(_status, json_schema_input_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 200, "maximum": 599},
                {
                    "type": "string",
                    "pattern": r"^\s*\d{3}(:[0-9.]+)?(\s*,\s*\d{3}(:[0-9.]+)?)*\s*$",
                },
            ]
        }
    ),
]


class ErrorSettings(_CallSettings):
    """`error`: calls to `/status/<status>`, as `resilience error` makes them."""

    DEFAULT_CONCURRENCY: ClassVar[int] = _CONCURRENCY.typed_default("error", int)

    count: StrictInt = _count("error")
    status: Status = Field(
        default=_STATUS.typed_default("error", str), description=_STATUS.help + "."
    )


class PauseSettings(FrozenModel):
    """`pause`: wait, so that time passes for the breaker (its open window) and the limiter."""

    seconds: Seconds = Field(ge=0, description="How long to wait: 30, 30s, 300ms, 1.5m.")


class StateSettings(FrozenModel):
    """`state`: look at the breaker, as `resilience state` does."""


class ForceOpenSettings(FrozenModel):
    """`force-open`: hold the breaker open until a reset."""

    reason: StrictStr = Field(
        default="forced open by the operator", description="Why, for the log and state."
    )


class ResetSettings(FrozenModel):
    """`reset`: close the breaker and clear its counters."""


_Rate: TypeAlias = (
    Annotated[StrictInt, Field(ge=0, le=1)] | Annotated[StrictFloat, Field(ge=0, le=1)]
)
_Bandwidth: TypeAlias = (
    Annotated[StrictInt, Field(ge=0, le=MAX_BANDWIDTH)]
    | Annotated[StrictFloat, Field(ge=0, le=MAX_BANDWIDTH)]
)


def _rate(what: str, default: float = 1.0) -> float:
    """A `_rate` key: the probability, 0 to 1, that its fault strikes a request."""
    return Field(default=default, description=f"Probability, 0 to 1, of {what}.")


class FaultsSettings(FrozenModel):
    """`faults`: what the scenario's proxy does from now on; a fault left out is off.

    Each fault strikes a request with its `_rate` (0 to 1, 1 if left out), as the flags
    of `resilience upstream proxy` say; `faults: {}` heals the proxy.
    """

    latency: Seconds = Field(default=0.0, ge=0, description="Added before a request goes on.")
    jitter: Seconds = Field(default=0.0, ge=0, description="The latency varies by this much.")
    latency_rate: _Rate = _rate("the latency")
    status: Annotated[StrictInt, Field(ge=200, le=599)] | None = Field(
        default=None, description="A status the proxy answers itself, without the upstream."
    )
    status_rate: _Rate = _rate("that answer")
    reset_rate: _Rate = _rate("a connection reset", 0.0)
    black_hole_rate: _Rate = _rate("a request never answered (a timeout)", 0.0)
    bandwidth: _Bandwidth = Field(
        default=0, description="Bytes per second of the answers; 0: no limit."
    )
    bandwidth_rate: _Rate = _rate("the bandwidth limit")
    first_byte: Seconds = Field(default=0.0, ge=0, description="Wait before the first byte.")
    first_byte_rate: _Rate = _rate("the first-byte wait")

    def profile(self) -> FaultProfile:
        """The proxy's fault profile these settings describe."""
        values = self.model_dump()
        values["status"] = values["status"] or 0
        return FaultProfile(**values)


# The names of `compare.PRESETS`, spelt out for the schema (a test keeps them equal).
PresetName: TypeAlias = Literal["ours", "demo", "resilience4j", "polly", "pybreaker", "hystrix"]


class CompareSettings(FrozenModel):
    """`compare`: replay what this run recorded so far through presets, as `resilience compare`."""

    presets: tuple[PresetName, ...] = Field(
        default=("ours", "resilience4j", "polly", "pybreaker", "hystrix"),
        min_length=1,
        description="Presets to replay the run's calls through (docs/patterns.md, Presets).",
    )
    seed: StrictInt = Field(
        default=0, ge=0, le=MAX_SEED, description="Seed for the retries' jitter in the replay."
    )


_ARRIVAL_RATE: Final = BY_NAME["arrival_rate"]
_MAX_IN_FLIGHT: Final = BY_NAME["max_in_flight"]
_INTERVAL: Final = BY_NAME["interval"]
_STRESS_DEFAULT_RATE: Final = 20.0  # as `resilience stress`: the limiter's own default
_STRESS_DEFAULT_DURATION: Final = 30.0


def _check_phase(text: str) -> str:
    parse_phase(text)  # the same rules as `--phase`; its ValueError says what is wrong
    return text


_ArrivalRate: TypeAlias = (
    Annotated[StrictInt, Field(ge=0, le=_ARRIVAL_RATE.high)]
    | Annotated[StrictFloat, Field(ge=0, le=_ARRIVAL_RATE.high)]
)


class StressSettings(FrozenModel):
    """`stress`: open-loop arrivals for a duration, as `resilience stress` makes them.

    `phases` change the embedded upstream over the run, as `--phase` does; its
    expectations may name a metric over a window of the run (`breaker.state[10s..25s]`).
    """

    duration: Annotated[Seconds, Field(gt=0)] | None = Field(
        default=None,
        description="How long arrivals come: 30s, 500ms, 5m; default 30s (stages set it"
        " themselves).",
    )
    arrival_rate: _ArrivalRate | None = Field(
        default=None,
        description=_ARRIVAL_RATE.help + "; default 20 (0 with stages).",
    )
    stages: StrictStr | None = Field(default=None, description=str(BY_NAME["stages"].help) + ".")
    max_in_flight: StrictInt = Field(
        default=_MAX_IN_FLIGHT.typed_default("stress", int),
        ge=_MAX_IN_FLIGHT.low,
        le=_MAX_IN_FLIGHT.high,
        description=_MAX_IN_FLIGHT.help + ".",
    )
    interval: Seconds = Field(
        default=_INTERVAL.typed_default("stress", float),
        ge=_INTERVAL.low,
        le=_INTERVAL.high,
        description=_INTERVAL.help + ".",
    )
    phases: tuple[StrictStr, ...] = Field(
        default=(),
        max_length=MAX_PHASES,
        description="Fault phases of the embedded upstream, AT:FAULT as --phase takes them:"
        " 10s:status=500@0.6, 25s:delay=3s@0.3, 40s:healthy.",
    )
    mix: StrictStr = Field(default=_MIX.typed_default("stress", str), description=_MIX.help + ".")
    fail_on: StrictStr | None = Field(
        default=None,
        description=_FAIL_ON.help
        + " (--fail-on); default: defaults.fail_on, else "
        + str(_FAIL_ON.default)
        + ".",
    )

    @field_validator("mix")
    @classmethod
    def _mix(cls, value: str) -> str:
        return _check_mix(value)

    @field_validator("fail_on")
    @classmethod
    def _fail_on(cls, value: str | None) -> str | None:
        return check_fail_on(value)

    @field_validator("phases")
    @classmethod
    def _phases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        Schedule.of(parse_phase(text) for text in value)  # in order, none at the same time
        return value

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: str | None) -> str | None:
        if value is not None:
            parse_stages(value)
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> Self:
        if self.stages is not None and self.duration is not None:
            raise ValueError("stages set the duration themselves; drop duration")
        duration = self.profile().duration  # too long, too many arrivals: refused here
        if duration / self.interval > MAX_INTERVALS:
            raise ValueError(
                f"interval {self.interval:g}s makes {duration / self.interval:,.0f} rows of"
                f" {duration:g} s; at most {MAX_INTERVALS:,}"
            )
        return self

    def profile(self) -> LoadProfile:
        """The arrival schedule: the stages, or the rate for the duration.

        Raises:
            ValueError: A schedule no run should attempt (too long, too many arrivals).
        """
        if self.stages is not None:
            return parse_stages(self.stages, float(self.arrival_rate or 0.0))
        rate = _STRESS_DEFAULT_RATE if self.arrival_rate is None else float(self.arrival_rate)
        duration = _STRESS_DEFAULT_DURATION if self.duration is None else self.duration
        profile = LoadProfile.constant(rate, duration)
        check_profile(profile)
        return profile


StepSettings: TypeAlias = (
    InvokeSettings
    | DelaySettings
    | ErrorSettings
    | PauseSettings
    | StateSettings
    | ForceOpenSettings
    | ResetSettings
    | FaultsSettings
    | CompareSettings
    | StressSettings
)
CallSettings: TypeAlias = InvokeSettings | DelaySettings | ErrorSettings

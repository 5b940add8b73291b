"""What each kind of step may say: the settings under its kind key, with the command's defaults.

A call step (`invoke`, `delay`, `error`) takes the flags of its one-liner, with the same
defaults and bounds (both from the settings table), so a step does exactly what its
one-liner does. `pause`, `state`, `force-open` and `reset` take what their commands take;
`compare` replays the calls the run has made so far through presets.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal, TypeAlias

from pydantic import Field, PlainValidator, StrictInt, StrictStr, WithJsonSchema, field_validator

from resilience_cli.limits import MAX_SEED
from resilience_cli.mix import parse_mix, parse_status
from resilience_cli.scenarios.fields import FrozenModel, Seconds
from resilience_cli.settings import BY_NAME

KINDS: Final = (
    "invoke",
    "delay",
    "error",
    "pause",
    "state",
    "force-open",
    "reset",
    "compare",
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


class _CallSettings(FrozenModel):
    """What every call step shares."""

    DEFAULT_CONCURRENCY: ClassVar[int] = 10

    concurrency: StrictInt | None = Field(
        default=None,
        ge=_CONCURRENCY.low,
        le=_CONCURRENCY.high,
        description="Calls offered at once; default: defaults.concurrency, else the kind's.",
    )


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


StepSettings: TypeAlias = (
    InvokeSettings
    | DelaySettings
    | ErrorSettings
    | PauseSettings
    | StateSettings
    | ForceOpenSettings
    | ResetSettings
    | CompareSettings
)
CallSettings: TypeAlias = InvokeSettings | DelaySettings | ErrorSettings

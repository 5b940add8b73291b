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
  once `defaults.policies` and a step's `policies` are merged (`policies.py`). The
  ranges are checked by building the patterns' configs with the one builder the flags
  use too (`settings.build_policies`), so they live in one place. These checks produce
  `Issue`s whose `loc` has the same shape as pydantic's, so the loader reports them all,
  with their lines, next to the structural problems.

Validating a `Scenario` in Python runs both passes and raises on the first problem of
meaning; the loader asks for the structure only (`STRUCTURE_ONLY`) and collects the
meaning itself with `scenario_issues` or, when the structure is broken, `partial_issues`.

Unset keys take the command-line flags' defaults (`resilience invoke --help`): both come
from the settings table, so a step does exactly what its one-liner does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, ClassVar, Final, Literal, Self, TypeAlias
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from resilience_cli import limits
from resilience_cli.mix import parse_mix, parse_status
from resilience_cli.scenarios.durations import parse_seconds
from resilience_cli.scenarios.fields import Flag, FrozenModel, Seconds, Text, Whole
from resilience_cli.scenarios.issues import Issue, Loc, format_loc
from resilience_cli.scenarios.metrics import check_pairing, known_metric
from resilience_cli.scenarios.policies import (
    PatternPolicy,
    PolicyOverrides,
    config_errors,
    policy_issues,
    resolve_policies,
)
from resilience_cli.scenarios.thresholds import (
    OPERATOR_CHARS,
    ThresholdError,
    equality,
    format_number,
    parse_threshold,
)
from resilience_cli.settings import BY_NAME

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pydantic.config import JsonDict

    from resilience_cli.patterns import Policies
    from resilience_cli.scenarios.thresholds import Threshold

__all__ = [  # what other modules import from here, some of it from its own modules
    "CALL_KINDS",
    "KINDS",
    "STRUCTURE_ONLY",
    "Issue",
    "Loc",
    "PatternPolicy",
    "PolicyOverrides",
    "Scenario",
    "Step",
    "format_loc",
    "keys_at",
    "parse_seconds",
    "partial_issues",
    "resolve_policies",
    "scenario_issues",
]

KINDS: Final = ("invoke", "delay", "error", "pause", "state", "force-open", "reset")
CALL_KINDS: Final = frozenset({"invoke", "delay", "error"})
TARGET_EMBEDDED: Final = "embedded"
_STRUCTURE_KEY: Final = "resilience_cli.structure_only"
# Validation context that skips the checks of meaning; the loader collects those itself.
STRUCTURE_ONLY: Final = MappingProxyType({_STRUCTURE_KEY: True})

_KIND_LIST: Final = ", ".join(KINDS)


def _structure_only(info: ValidationInfo[object]) -> bool:
    context = info.context
    return isinstance(context, Mapping) and context.get(_STRUCTURE_KEY) is True


# -- steps ----------------------------------------------------------------------------------


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

    concurrency: Whole | None = Field(
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

    count: Whole = _count("invoke")
    mix: Text = Field(default=_MIX.typed_default("invoke", str), description=_MIX.help + ".")

    @field_validator("mix")
    @classmethod
    def _mix(cls, value: str) -> str:
        return _check_mix(value)


class DelaySettings(_CallSettings):
    """`delay`: calls to `/delay/<seconds>`, as `resilience delay` makes them."""

    DEFAULT_CONCURRENCY: ClassVar[int] = _CONCURRENCY.typed_default("delay", int)

    count: Whole = _count("delay")
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

    count: Whole = _count("error")
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

    reason: Text = Field(
        default="forced open by the operator", description="Why, for the log and state."
    )


class ResetSettings(FrozenModel):
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


class ThresholdSpec(FrozenModel):
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
        if isinstance(value, str) and any(char in OPERATOR_CHARS for char in value):
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


class Step(FrozenModel):
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


class Defaults(FrozenModel):
    """`defaults:`: what every step gets unless it says otherwise."""

    concurrency: Whole | None = Field(
        default=None,
        ge=_CONCURRENCY.low,
        le=_CONCURRENCY.high,
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


class Scenario(FrozenModel):
    """A scenario file, version 1: steps that script the subcommands, and their expectations."""

    version: Literal[1] = Field(description="The format version: 1.")
    title: Text = Field(min_length=1, description="What the scenario shows, in a few words.")
    description: Text | None = Field(
        default=None, description="What to watch for; shown before the run."
    )
    seed: Whole = Field(
        default=0,
        ge=0,
        le=limits.MAX_SEED,
        description="Seeds the call mix, the jitter and the upstream.",
    )
    target: Text = Field(
        default=TARGET_EMBEDDED, description="'embedded' (the built-in upstream) or an http(s) URL."
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Defaults for every step.")
    steps: tuple[Step, ...] = Field(
        min_length=1, max_length=limits.MAX_STEPS, description="The steps, run in order."
    )
    finally_: tuple[Step, ...] = Field(
        (),
        alias="finally",
        max_length=limits.MAX_STEPS,
        description="Steps that always run last, even after a failure.",
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
    issues = policy_issues([(_DEFAULTS_LOC, defaults)])
    known = config_errors(defaults)
    names: dict[str, Loc] = {}
    for loc, step in scenario.sections():
        issues += step_issues(step, loc)
        layers = [(_DEFAULTS_LOC, defaults), ((*loc, "policies"), step.policies)]
        issues += policy_issues(layers, known=known)
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
    issues = [] if defaults is None else policy_issues([(_DEFAULTS_LOC, defaults)])
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
            issues += policy_issues(layers, known=config_errors(defaults))
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

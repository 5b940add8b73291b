"""Scenario files as frozen, validated values: the file, its defaults, and its steps.

The models are pydantic models because one declaration then gives three things that must
agree: the validation (with every problem at once, each with a `loc` the loader maps to a
YAML line), the defaults, and the JSON Schema that editors use to complete and check
scenario files (`schema.py`). `extra="forbid"` makes a misspelt key an error rather than
a silently ignored one, and `frozen=True` makes a loaded scenario a value.

The package's modules, each with one job:

- `fields.py`, `durations.py`: the value types, and the one duration grammar;
- `steps.py`: what each kind of step says; `expectations.py`: what `expect:` says;
  `policies.py`: what `policies:` says, made from the settings table, and how its layers
  merge;
- this module: a step, the `defaults:`, the file;
- `meaning.py`: the checks that need more than one field (thresholds against metrics,
  merged policies against their ranges, unique step names);
- `salvage.py`: those checks on the sound parts of a file whose structure is broken;
- `validation.py`: the two passes in order, the loader's one way in;
- `loader.py`, `yaml_nodes.py`, `keypaths.py`: YAML text to models, every problem placed
  at `file:line:column`; `schema.py`: the JSON Schema, and the keys allowed at a path.

A `Scenario` is valid in meaning too: validating one in Python runs `meaning.py` and
raises on its first problem. The loader validates with `STRUCTURE_ONLY` instead, and
collects every problem of meaning itself, with its line (`validation.py`).

Unset keys take the command-line flags' defaults (`resilience invoke --help`): both come
from the settings table, so a step does exactly what its one-liner does.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BeforeValidator,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from resilience_cli import limits
from resilience_cli.scenarios.expectations import Expectation, Thresholds
from resilience_cli.scenarios.fields import FrozenModel, Seconds
from resilience_cli.scenarios.meaning import scenario_problems, step_problems
from resilience_cli.scenarios.policies import PolicyOverrides, resolve_policies
from resilience_cli.scenarios.requests import RequestSpec, check_fail_on
from resilience_cli.scenarios.steps import (
    CALL_KINDS,
    KINDS,
    CompareSettings,
    DelaySettings,
    ErrorSettings,
    FaultsSettings,
    ForceOpenSettings,
    InvokeSettings,
    PauseSettings,
    ResetSettings,
    StateSettings,
    StepSettings,
    StressSettings,
)
from resilience_cli.settings import BY_NAME

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pydantic.config import JsonDict

    from resilience_cli.patterns import Policies
    from resilience_cli.scenarios.keypaths import Loc

TARGET_EMBEDDED: Final = "embedded"
_STRUCTURE_KEY: Final = "resilience_cli.structure_only"
# Validation context that skips the checks of meaning; the loader collects those itself.
STRUCTURE_ONLY: Final = MappingProxyType({_STRUCTURE_KEY: True})

_KIND_LIST: Final = ", ".join(KINDS)
_CONCURRENCY: Final = BY_NAME["concurrency"]


def _structure_only(info: ValidationInfo[object]) -> bool:
    context = info.context
    return isinstance(context, Mapping) and context.get(_STRUCTURE_KEY) is True


def _no_default(schema: JsonDict) -> None:
    """Leave a default out of the schema when the real one is computed."""
    schema.pop("default", None)


def _null_is_empty(value: object) -> object:
    """`state:` with nothing after it means `state: {}`."""
    return {} if value is None else value


def _pause_form(value: object) -> object:
    """`pause: 30s` and `pause: 30` mean `pause: {seconds: 30}`."""
    return value if isinstance(value, dict) else {"seconds": value}


class Step(FrozenModel):
    """One step: exactly one kind key (a subcommand, or `pause`), and optional extras."""

    name: StrictStr = Field(
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
    faults: Annotated[
        FaultsSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=FaultsSettings | None),
    ] = Field(
        default=None,
        description="Change the faults of the scenario's proxy (target: {proxy: ...});"
        " a fault left out is off.",
    )
    compare: Annotated[
        CompareSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=CompareSettings | None),
    ] = Field(
        default=None,
        description="Replay the calls made so far through presets, as `resilience compare`.",
    )
    stress: Annotated[
        StressSettings | None,
        BeforeValidator(_null_is_empty, json_schema_input_type=StressSettings | None),
    ] = Field(
        default=None,
        description="Open-loop arrivals for a duration, with fault phases, as `resilience"
        " stress`; expectations may name a window of it: breaker.state[10s..25s].",
    )
    policies: PolicyOverrides = Field(
        default_factory=PolicyOverrides,
        description="Call and stress steps only: deep-merged over defaults.policies for this step.",
    )
    expect: dict[StrictStr, Thresholds] = Field(
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
            problems = step_problems(self)
            if problems:
                raise ValueError(str(problems[0]))
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

    @property
    def takes_policies(self) -> bool:
        """True for the steps that send calls through the patterns: call steps and stress."""
        return self.is_call or self.kind == "stress"

    def _kinds(self) -> Iterator[tuple[str, StepSettings]]:
        candidates: tuple[tuple[str, StepSettings | None], ...] = (
            ("invoke", self.invoke),
            ("delay", self.delay),
            ("error", self.error),
            ("pause", self.pause),
            ("state", self.state),
            ("force-open", self.force_open),
            ("reset", self.reset),
            ("faults", self.faults),
            ("compare", self.compare),
            ("stress", self.stress),
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


class Defaults(FrozenModel):
    """`defaults:`: what every step gets unless it says otherwise."""

    concurrency: StrictInt | None = Field(
        default=None,
        ge=_CONCURRENCY.low,
        le=_CONCURRENCY.high,
        description="Calls offered at once by every call step that does not say.",
    )
    policies: PolicyOverrides = Field(
        default_factory=PolicyOverrides,
        description="Pattern settings for every step; a step's policies are merged over them.",
    )
    fail_on: StrictStr | None = Field(
        default=None,
        description="What counts as a failure in every call step that does not say"
        " (--fail-on): 5xx, 4xx, statuses such as 429, timeout, connect.",
    )

    @field_validator("fail_on")
    @classmethod
    def _fail_on(cls, value: str | None) -> str | None:
        return check_fail_on(value)


def _check_target(value: str) -> str:
    if value == TARGET_EMBEDDED:
        return value
    parts = urlsplit(value)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return value
    raise ValueError("must be 'embedded' or an http(s) URL such as http://127.0.0.1:8080")


class ProxyTarget(FrozenModel):
    """`target: {proxy: ...}`: a fault-injecting proxy started in front of the target."""

    proxy: StrictStr = Field(
        description="What the proxy stands in front of: 'embedded' or an http:// URL"
        " (--base-url replaces it)."
    )
    faults: FaultsSettings = Field(
        default_factory=FaultsSettings,
        description="The faults at the start; `faults:` steps change them.",
    )

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str) -> str:
        checked = _check_target(value)
        if checked.startswith("https:"):
            raise ValueError("the proxy forwards plain http: give an http:// URL or 'embedded'")
        return checked


class Scenario(FrozenModel):
    """A scenario file, version 1: steps that script the subcommands, and their expectations."""

    version: Literal[1] = Field(description="The format version: 1.")
    title: StrictStr = Field(min_length=1, description="What the scenario shows, in a few words.")
    description: StrictStr | None = Field(
        default=None, description="What to watch for; shown before the run."
    )
    seed: StrictInt = Field(
        default=0,
        ge=0,
        le=limits.MAX_SEED,
        description="Seeds the call mix, the jitter and the upstream.",
    )
    target: StrictStr | ProxyTarget = Field(
        default=TARGET_EMBEDDED,
        description="'embedded' (the built-in upstream), an http(s) URL, or {proxy: ...}:"
        " a fault-injecting proxy in front of one.",
    )
    state: StrictStr | None = Field(
        default=None,
        min_length=1,
        description="Where the breaker lives: a state file's path (from the working folder),"
        " or redis://[:password@]host:port/db to share it live; --state and --state-file"
        " (and their environment variables) win over it.",
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Defaults for every step.")
    requests: tuple[RequestSpec, ...] = Field(
        (),
        max_length=limits.MAX_REQUESTS,
        description="Named requests (method, path, query, headers, json or body, weight,"
        " ok_status) that invoke steps draw from with `requests: [name, ...]`.",
    )
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
    def _target(cls, value: str | ProxyTarget) -> str | ProxyTarget:
        return value if isinstance(value, ProxyTarget) else _check_target(value)

    @property
    def proxied(self) -> ProxyTarget | None:
        """The proxy `target:` asks for, if it asks for one."""
        return self.target if isinstance(self.target, ProxyTarget) else None

    @property
    def target_url(self) -> str | None:
        """The URL the calls (or the proxy) go to; None for the embedded upstream."""
        where = self.target.proxy if isinstance(self.target, ProxyTarget) else self.target
        return None if where == TARGET_EMBEDDED else where

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        from resilience_cli.errors import UsageError  # noqa: PLC0415
        from resilience_cli.state.locations import check_redis_url, is_redis_url  # noqa: PLC0415

        if value is not None and is_redis_url(value):
            try:
                check_redis_url(value)
            except UsageError as exc:
                raise ValueError(str(exc).removeprefix("--state ")) from None
        return value

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
            problems = scenario_problems(self)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise ValueError(f"{problems[0]}{more}")
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

    def called_paths(self) -> Iterator[tuple[str, str]]:
        """Every (step name, path) the call steps may call, in file order."""
        from resilience_cli.mix import parse_mix  # noqa: PLC0415

        for _, step in self.sections():
            specs = self.request_specs(step)
            if specs:
                yield from ((step.name, spec.path) for spec in specs)
            elif isinstance(step.settings, InvokeSettings | StressSettings):
                yield from ((step.name, r.path) for r in parse_mix(step.settings.mix))

    def resolved_fail_on(self, step: Step) -> str | None:
        """What counts as a failure for a call step: its `fail_on`, else the defaults'."""
        settings = step.settings
        own = getattr(settings, "fail_on", None)
        return own if isinstance(own, str) else self.defaults.fail_on

    def request_specs(self, step: Step) -> tuple[RequestSpec, ...]:
        """The requests an invoke step draws from by name; empty when it uses its `mix`."""
        settings = step.settings
        if not isinstance(settings, InvokeSettings) or settings.requests is None:
            return ()
        by_name = {spec.name: spec for spec in self.requests}
        return tuple(by_name[name] for name in settings.requests if name in by_name)

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

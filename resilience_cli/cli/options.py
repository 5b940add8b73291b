"""The flags every call command shares, made from the settings table, and how they are read.

Typer builds options from a function's signature. The call commands' signatures are
assembled here from `resilience_cli.settings`, one parameter per setting, so a knob's
flag, help, default, off value and bounds are written once, in the table. Each policy
flag's help names its configuration key, so a flag, a scenario key and an error message
all say the same thing.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, TypeVar

import typer

from resilience_cli.errors import ConfigError, UsageError
from resilience_cli.settings import (
    BY_NAME,
    CALL_COMMANDS,
    POLICY_SETTINGS,
    SETTINGS,
    Kind,
    Setting,
    build_policies,
    chosen_by_flags,
    flag_of,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.failure_rule import FailureRule
    from resilience_cli.patterns import Policies
    from resilience_cli.settings import Value

T = TypeVar("T")

# Configuration key -> flag, for the keys a number sets, so an error names what was typed.
FLAG_OF: Final = {
    setting.key: flag_of(setting.key)
    for setting in POLICY_SETTINGS
    if setting.kind is not Kind.SWITCH
}


def typer_option(setting: Setting) -> typer.models.OptionInfo:
    """The Typer option of a setting: its flags, help, panel, bounds and environment."""
    option: typer.models.OptionInfo = typer.Option(
        *setting.flags,
        help=setting.flag_help,
        rich_help_panel=setting.panel or None,
        min=setting.flag_low,
        max=setting.flag_high,
        envvar=setting.envvar or None,
        show_default=setting.shown_default or True,
    )
    return option


def _annotation(setting: Setting, command: str) -> object:
    kind = setting.kind.python_type
    option = typer_option(setting)
    if setting.kind is Kind.TEXTS:
        return Annotated[list[str] | None, option]
    if setting.repeatable:
        return Annotated[list[kind] | None, option]  # type: ignore[valid-type]
    if setting.flag_default(command) is None:
        return Annotated[kind | None, option]
    return Annotated[kind, option]


StateFileOption = Annotated[Path | None, typer_option(BY_NAME["state_file"])]
StateOption = Annotated[str | None, typer_option(BY_NAME["state"])]
BreakerNameOption = Annotated[str, typer_option(BY_NAME["breaker"])]
StoreUnavailableOption = Annotated[str, typer_option(BY_NAME["store_unavailable"])]
JsonOption = Annotated[bool, typer_option(BY_NAME["json"])]
BaseUrlOption = Annotated[str | None, typer_option(BY_NAME["base_url"])]
LogFileOption = Annotated[Path, typer_option(BY_NAME["log_file"])]
LockTimeoutOption = Annotated[float, typer_option(BY_NAME["lock_timeout"])]
RecordOption = Annotated[Path | None, typer_option(BY_NAME["record"])]
LogMaxBytesOption = Annotated[int, typer_option(BY_NAME["log_max_bytes"])]
LogBackupsOption = Annotated[int, typer_option(BY_NAME["log_backups"])]
MetricsPortOption = Annotated[int | None, typer_option(BY_NAME["metrics_port"])]
MetricsFileOption = Annotated[Path | None, typer_option(BY_NAME["metrics_file"])]


def call_parameters(command: str) -> list[inspect.Parameter]:
    """The options of a call command, as signature parameters: its own first, then the shared."""
    return [
        inspect.Parameter(
            setting.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=_annotation(setting, command),
            default=setting.flag_default(command),
        )
        for setting in SETTINGS
        if command in setting.commands
    ]


SHARED: Final = tuple(
    setting for setting in SETTINGS if set(CALL_COMMANDS) <= set(setting.commands)
)
"""The settings all three call commands have."""


@dataclass(frozen=True, slots=True)
class StoreChoice:
    """Where the breaker lives, as the flags say: `runtime.open_store` makes the store."""

    state_file: Path | None = None
    state: str | None = None
    breaker: str = "default"
    store_unavailable: str = "local"


@dataclass(frozen=True, slots=True)
class CallOptions:
    """The shared options, typed, as the user gave them; the policy flags by name."""

    count: int
    concurrency: int
    seed: int
    json: bool
    base_url: str | None
    state_file: Path | None
    state: str | None
    breaker: str
    store_unavailable: str
    lock_timeout: float
    log_file: Path
    record: Path | None
    log_max_bytes: int
    log_backups: int
    virtual_time: bool
    fail_on: str
    policy_flags: Mapping[str, Value]
    metrics_port: int | None = None
    metrics_file: Path | None = None

    @classmethod
    def parse(cls, values: Mapping[str, object]) -> CallOptions:
        """Read the values Typer parsed back, each checked against its setting's kind."""
        typed = {setting.name: _typed(setting, values[setting.name]) for setting in SHARED}
        return cls(
            count=_one(typed, "count", int),
            concurrency=_one(typed, "concurrency", int),
            seed=_one(typed, "seed", int),
            json=_one(typed, "json", bool),
            base_url=_optional(typed, "base_url", str),
            state_file=_optional(typed, "state_file", Path),
            state=_optional(typed, "state", str),
            breaker=_one(typed, "breaker", str),
            store_unavailable=_one(typed, "store_unavailable", str),
            lock_timeout=_one(typed, "lock_timeout", float),
            log_file=_one(typed, "log_file", Path),
            record=_optional(typed, "record", Path),
            log_max_bytes=_one(typed, "log_max_bytes", int),
            log_backups=_one(typed, "log_backups", int),
            virtual_time=_one(typed, "virtual_time", bool),
            fail_on=_one(typed, "fail_on", str),
            policy_flags={setting.name: typed[setting.name] for setting in POLICY_SETTINGS},
            metrics_port=_optional(typed, "metrics_port", int),
            metrics_file=_optional(typed, "metrics_file", Path),
        )

    @property
    def store(self) -> StoreChoice:
        """Where the breaker lives."""
        return StoreChoice(self.state_file, self.state, self.breaker, self.store_unavailable)

    def failure_rule(self) -> FailureRule:
        """What counts as a failure, from `--fail-on`; a bad item is a usage error."""
        return failure_rule_of(self.fail_on)

    def policies(self) -> Policies:
        """The patterns these flags describe; a nonsense value names its flag."""
        return policies_of(self.policy_flags)


def failure_rule_of(fail_on: str) -> FailureRule:
    """What counts as a failure, from `--fail-on`; a bad item is a usage error."""
    from resilience_cli.failure_rule import (  # noqa: PLC0415
        DEFAULT_FAIL_ON,
        DEFAULT_RULE,
        parse_fail_on,
    )

    try:
        rule = parse_fail_on(fail_on)
    except ValueError as exc:
        raise UsageError(f"--fail-on: {exc}") from None
    return DEFAULT_RULE if rule == parse_fail_on(DEFAULT_FAIL_ON) else rule


def policies_of(policy_flags: Mapping[str, Value]) -> Policies:
    """The patterns the policy flags describe; a nonsense value names its flag."""
    for name, value in policy_flags.items():
        setting = BY_NAME[name]
        problem = setting.too_large(value)
        if problem is not None:
            raise UsageError(f"{setting.flag.split('/')[0]} ({setting.key}): {problem}")
    try:
        return build_policies(chosen_by_flags(policy_flags))
    except ConfigError as exc:
        message = str(exc).removeprefix(f"{exc.field}: ")
        raise UsageError(f"{flag_of(exc.field)} ({exc.field}): {message}") from None


def typed_values(command: str, values: Mapping[str, object]) -> dict[str, Value]:
    """The values Typer parsed for `command`'s settings, each checked against its kind."""
    return {
        setting.name: _typed(setting, values[setting.name])
        for setting in SETTINGS
        # Lists (`--phase`, `-H`) are read where they are used (`cli.request_flags`).
        if command in setting.commands and not setting.repeatable and setting.kind is not Kind.TEXTS
    }


def _typed(setting: Setting, value: object) -> Value:
    """`value` if it has the setting's kind (None where the flag may be unset)."""
    if value is None and setting.flag_default(setting.commands[0]) is None:
        return None
    wanted = setting.kind.python_type
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    # True is an int to Python, never a number to us.
    if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is not bool):
        raise UsageError(f"option {setting.flag} must be a {setting.kind}, got {value!r}")
    return value


def _one(typed: Mapping[str, Value], name: str, kind: type[T]) -> T:
    value = typed[name]
    if not isinstance(value, kind):  # pragma: no cover - _typed checked the kind
        raise TypeError(name)
    return value


def _optional(typed: Mapping[str, Value], name: str, kind: type[T]) -> T | None:
    value = typed[name]
    return None if value is None else _one(typed, name, kind)

"""`--sweep breaker.failure_threshold=3,5,10`: one variant of each preset per value."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resilience_cli.compare.presets import Preset
from resilience_cli.errors import ConfigError, UsageError
from resilience_cli.patterns import BreakerConfig, RetryConfig, TimeoutConfig
from resilience_cli.settings import BY_KEY, Kind

if TYPE_CHECKING:
    from resilience_cli.settings import Setting, Value

_MAX_VALUES = 20
# The patterns a replay models, with their library defaults for a preset that has one off.
_LIBRARY: dict[str, object] = {
    "breaker": BreakerConfig(),
    "retry": RetryConfig(),
    "timeout": TimeoutConfig(),
}
SWEEPABLE = {key: setting for key, setting in BY_KEY.items() if setting.pattern in _LIBRARY}


@dataclass(frozen=True, slots=True)
class Sweep:
    """One configuration key and the values to try it at."""

    setting: Setting
    values: tuple[Value, ...]

    @property
    def key(self) -> str:
        """`breaker.failure_threshold`."""
        return self.setting.key


def parse_sweep(text: str) -> Sweep:
    """`breaker.failure_threshold=3,5,10` as a sweep; `off` for a key that may be off.

    Raises:
        UsageError: An unknown key, or a value of the wrong kind, in one line.
    """
    key, equals, listed = text.partition("=")
    key = key.strip()
    setting = SWEEPABLE.get(key)
    if not equals or setting is None:
        known = ", ".join(sorted(SWEEPABLE))
        raise UsageError(f"--sweep {text!r}: expected KEY=V1,V2,... with a key of {known}")
    raw = [value.strip() for value in listed.split(",") if value.strip()]
    if not 1 <= len(raw) <= _MAX_VALUES:
        raise UsageError(f"--sweep {key}: give 1 to {_MAX_VALUES} values, got {len(raw)}")
    return Sweep(setting, tuple(_value(setting, value) for value in raw))


def _value(setting: Setting, raw: str) -> Value:
    where = f"--sweep {setting.key}"
    if raw.lower() in {"off", "null", "none"}:
        if not setting.nullable:
            raise UsageError(f"{where}: {raw!r}: this key cannot be off")
        return None
    if setting.kind is Kind.SWITCH:
        if raw.lower() not in {"true", "false"}:
            raise UsageError(f"{where}: {raw!r} is not true or false")
        return raw.lower() == "true"
    try:
        number = int(raw) if setting.kind is Kind.WHOLE else float(raw)
    except ValueError:
        raise UsageError(f"{where}: {raw!r} is not a {setting.kind}") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise UsageError(f"{where}: {raw!r} is not a finite number")
    problem = setting.too_large(number)
    if problem is not None:
        raise UsageError(f"{where}: {problem}")
    return number


def variants(presets: tuple[Preset, ...], sweep: Sweep | None) -> tuple[Preset, ...]:
    """Each preset once per swept value (`ours[failure_threshold=3]`), or as it is.

    A preset whose pattern is off takes the pattern's library defaults for the sweep.

    Raises:
        UsageError: A value the pattern refuses, naming the preset and the key.
    """
    if sweep is None:
        return presets
    setting = sweep.setting
    made: list[Preset] = []
    for preset in presets:
        current = getattr(preset.policies, setting.pattern) or _LIBRARY[setting.pattern]
        for value in sweep.values:
            try:
                changed = dataclasses.replace(current, **{setting.field: value})  # type: ignore[type-var]
            except ConfigError as exc:
                raise UsageError(
                    f"--sweep {setting.key}={value} for {preset.name}: {exc}"
                ) from None
            shown = "off" if value is None else value
            made.append(
                Preset(
                    f"{preset.name}[{setting.field}={shown}]",
                    preset.source,
                    dataclasses.replace(preset.policies, **{setting.pattern: changed}),  # type: ignore[arg-type]
                )
            )
    return tuple(made)

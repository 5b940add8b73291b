"""`policies:` in scenario files, made from the settings table, and how layers of it merge.

One model per pattern (`RetryPolicy`, ...) and the `PolicyOverrides` that holds them are
built from `resilience_cli.settings` when this module loads: each key has the type, the
default, the bounds and the description of its entry, so a knob added to the table is a
key of scenario files, and of `resilience schema`, without a line here.

Layers merge deeply, outermost first (`defaults.policies`, then a step's `policies`): a key
a layer sets replaces the one below; `null` for a pattern switches it off, and a mapping
for it in a later layer switches it on again from the defaults. The merged keys become
`Policies` through the same builder as the flags (`settings.build_policies`); what that
builder refuses is reported by `meaning.py`, at the layer that set the bad key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat, StrictInt, create_model
from pydantic_core import PydanticCustomError

from resilience_cli.scenarios.fields import FrozenModel, Seconds
from resilience_cli.settings import PATTERNS, POLICY_SETTINGS, Kind, build_policies

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from resilience_cli.patterns import Policies
    from resilience_cli.settings import Chosen, Pattern, Setting

_FIELD_TYPES: Final[dict[Kind, object]] = {
    Kind.WHOLE: StrictInt,
    Kind.SECONDS: Seconds,
    Kind.NUMBER: StrictFloat,
    Kind.FRACTION: StrictFloat,
    Kind.SWITCH: StrictBool,
}
_OFF: Final = "; null switches the pattern off."


class PatternPolicy(FrozenModel):
    """One pattern's keys. Field defaults are the command line's; unset keys inherit."""


class PolicyLayer(FrozenModel):
    """What every `policies:` mapping is; `PolicyOverrides` is the one made from the table."""


def _at_most(high: float) -> BeforeValidator:
    """Refuse an integer above `high` before pydantic tries to make a float of it."""

    def check(value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and value > high:
            raise PydanticCustomError("less_than_equal", "must be <= {le}", {"le": high})
        return value

    return BeforeValidator(check)


def _key(setting: Setting) -> tuple[object, object]:
    kind = _FIELD_TYPES[setting.kind]
    # Durations carry their bound in their own type (it also reads `2m`); numbers get it
    # here, inside the type, so that the schema says `maximum` on the number beside any
    # `null`. The bound comes before the validator: after it, pydantic would write its
    # own `le` into the schema.
    if setting.kind is not Kind.SECONDS and setting.high is not None:
        if setting.kind is Kind.WHOLE:
            kind = Annotated[kind, Field(le=setting.high)]
        else:
            kind = Annotated[kind, Field(le=setting.high), _at_most(setting.high)]
    annotation = kind | None if setting.nullable else kind  # type: ignore[operator]
    return annotation, Field(default=setting.default, description=setting.file_help)


def _pattern_model(pattern: Pattern) -> type[PatternPolicy]:
    keys = {
        setting.field: _key(setting)
        for setting in POLICY_SETTINGS
        if setting.pattern == pattern.name
    }
    return create_model(pattern.model, __base__=PatternPolicy, __doc__=pattern.summary, **keys)  # type: ignore[call-overload, no-any-return]


PATTERN_MODELS: Final = {pattern.name: _pattern_model(pattern) for pattern in PATTERNS}


def _overrides_model() -> type[PolicyLayer]:
    fields = {
        pattern.name: (
            PATTERN_MODELS[pattern.name] | None,
            Field(default_factory=PATTERN_MODELS[pattern.name], description=pattern.label + _OFF),
        )
        for pattern in PATTERNS
    }
    return create_model(  # type: ignore[call-overload, no-any-return]
        "PolicyOverrides",
        __base__=PolicyLayer,
        __doc__=(
            "`policies:`: keys to change, by pattern; a key left out keeps the layer below's value."
        ),
        **fields,
    )


if TYPE_CHECKING:

    class PolicyOverrides(PolicyLayer):
        """`policies:` (the type checker sees the base; the fields come from the table)."""

else:
    PolicyOverrides = _overrides_model()


def merged(layers: Sequence[PolicyLayer]) -> dict[str, PatternPolicy | None]:
    """Each pattern's keys after deep-merging `layers`, outermost first; None is off."""
    return {name: _merge(name, model(), layers) for name, model in PATTERN_MODELS.items()}


def _merge(name: str, base: PatternPolicy, layers: Sequence[PolicyLayer]) -> PatternPolicy | None:
    merged_keys: PatternPolicy | None = base
    for layer in layers:
        if name not in layer.model_fields_set:
            continue
        given = getattr(layer, name)
        if given is None:
            merged_keys = None
            continue
        updates = {key: getattr(given, key) for key in given.model_fields_set}
        # After an earlier layer switched it off, a mapping starts again from `base`.
        merged_keys = (base if merged_keys is None else merged_keys).model_copy(update=updates)
    return merged_keys


def chosen(patterns: Mapping[str, PatternPolicy | None]) -> Chosen:
    """The patterns' keys as `settings.build_policies` takes them."""
    return {name: None if keys is None else keys.model_dump() for name, keys in patterns.items()}


def resolve_policies(*layers: PolicyLayer) -> Policies:
    """Deep-merge policy layers, outermost first, over the command line's defaults.

    A key a layer sets replaces the one below; `null` for a pattern switches it off, and a
    mapping for it in a later layer switches it on again from the defaults.

    Args:
        *layers: `defaults.policies`, then a step's `policies`.

    Returns:
        The pattern configurations.

    Raises:
        ConfigError: A merged value is out of range (only for a scenario validated with
            `STRUCTURE_ONLY` that has problems of meaning).
    """
    return build_policies(chosen(merged(layers)))

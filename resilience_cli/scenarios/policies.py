"""`policies:` in scenario files, made from the settings table, and how layers of it merge.

One model per pattern (`RetryPolicy`, ...) and the `PolicyOverrides` that holds them are
built from `resilience_cli.settings` when this module loads: each key has the type, the
default, the bounds and the description of its entry, so a knob added to the table is a
key of scenario files, and of `resilience schema`, without a line here.

Layers merge deeply, outermost first (`defaults.policies`, then a step's `policies`): a key
a layer sets replaces the one below; `null` for a pattern switches it off, and a mapping
for it in a later layer switches it on again from the defaults. The merged keys become
`Policies` through the same builder as the flags (`settings.build_policies`), and its
`ConfigError`s become `Issue`s that point at the layer that set the bad key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

from pydantic import BeforeValidator, Field, create_model
from pydantic_core import PydanticCustomError

from resilience_cli.errors import ConfigError
from resilience_cli.scenarios.fields import Flag, FrozenModel, Number, Seconds, Whole
from resilience_cli.scenarios.issues import Issue, Loc, format_loc
from resilience_cli.settings import PATTERNS, POLICY_SETTINGS, Kind, build_policies

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from resilience_cli.patterns import Policies
    from resilience_cli.settings import Chosen, Pattern, Setting

_FIELD_TYPES: Final[dict[Kind, object]] = {
    Kind.WHOLE: Whole,
    Kind.SECONDS: Seconds,
    Kind.NUMBER: Number,
    Kind.FRACTION: Number,
    Kind.SWITCH: Flag,
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
            `STRUCTURE_ONLY` that has issues).
    """
    return build_policies(chosen(merged(layers)))


def policy_issues(
    layers: Sequence[tuple[Loc, PolicyLayer]], *, known: frozenset[str] = frozenset()
) -> list[Issue]:
    """One issue per pattern whose merged configuration is out of range.

    `known` holds the errors `defaults.policies` alone has; a step that does not set the
    key in question inherits them, and they are reported once, at the defaults.
    """
    return [
        _locate_config_error(error, layers)
        for error in _config_errors([layer for _, layer in layers])
        if str(error) not in known or _sets(layers[-1][1], error.field)
    ]


def config_errors(defaults: PolicyLayer) -> frozenset[str]:
    """The errors `defaults.policies` has on its own, as texts."""
    return frozenset(str(error) for error in _config_errors([defaults]))


def _config_errors(layers: Sequence[PolicyLayer]) -> list[ConfigError]:
    errors = []
    for name, keys in merged(layers).items():
        if keys is None:
            continue
        try:
            build_policies({name: keys.model_dump()})
        except ConfigError as exc:
            errors.append(exc)
    return errors


def _sets(layer: PolicyLayer, field: str) -> bool:
    """Whether `layer` sets the key `field` (`breaker.open_for`) itself."""
    pattern, _, key = field.partition(".")
    given = getattr(layer, pattern) if pattern in layer.model_fields_set else None
    return given is not None and key in given.model_fields_set


def _locate_config_error(exc: ConfigError, layers: Sequence[tuple[Loc, PolicyLayer]]) -> Issue:
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

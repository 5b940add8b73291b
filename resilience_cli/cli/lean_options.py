"""Typer's coercion of plain options, without pydantic: text, paths, numbers and choices.

Typer 0.29 coerces the value of every option that is not a boolean flag through a
pydantic `TypeAdapter`, built the first time the command runs (`typer._coercion`), so any
command with a path or a number imports pydantic: about as long as importing Typer
itself, and most of what `resilience state` spent starting. The values of a command line
are strings, and for the plain kinds the conversion is one call: `Path(text)`,
`int(text)`, a look-up among the choices. This module makes that call, and hands every
value it is not sure of to Typer's own coercion: `1_000`, `.5`, ` 5`, a number out of
range or not finite, an unknown choice, a path that Typer would refuse. So every error
message is Typer's, and every value accepted is the one Typer would give;
`tests/cli/test_lean_options.py` checks both against Typer's coercion.

This is the one module that uses Typer's private API: `_TyperParameter._runtime_param` (the
coercion `process_value` calls, built on first use when it is None), `RuntimeParam` and
`build_runtime_param` of `typer._coercion`, and `coerce_cli_choice` and `coerce_cli_path`
of `typer._param_types`. They are the same in every 0.29 release, and pyproject.toml
keeps Typer to that series. Should one go, importing this module fails, the commands keep
Typer's own coercion (right, only slower), and the tests of this module fail loudly.
"""

from __future__ import annotations

import math
import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Final

from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path
from typer.core import _TyperParameter

if TYPE_CHECKING:
    from collections.abc import Iterable

    from typer._click import Context, Parameter

# Spellings that Python's int() and float() read exactly as pydantic does: ASCII digits,
# no sign but `-`, no `_`, no blanks, no leading zero, at most 18 digits. Any other
# spelling (`+5`, `1_000`, `.5`, `inf`) goes to Typer's coercion.
_WHOLE: Final = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?(?:[eE][-+]?[0-9]{1,2})?")
# Beyond this, an int has no exact float: leave the rounding to Typer.
_EXACT_FLOAT: Final = 2**53


class _Verdict(Enum):
    UNSURE = "unsure"


UNSURE: Final = _Verdict.UNSURE
"""Not a value this module converts: Typer's own coercion decides."""


class PlainCoercion(RuntimeParam):
    """The coercion of one plain option: ours when sure, else Typer's.

    Typer's own dataclass, with no field added (making a dataclass costs start-up time).
    """

    def _coerce_value(self, value: object, param: _TyperParameter, ctx: Context) -> object:
        descriptor = self.descriptor
        plain = plain_value(descriptor, value, param, ctx)
        if plain is UNSURE:
            return build_runtime_param(descriptor).coerce(value, param=param, ctx=ctx)
        return plain

    @property
    def descriptor(self) -> TypeDescriptor:
        """The option's type as Typer describes it (a plain one opens no file)."""
        return TypeDescriptor(
            annotation=self.annotation, parameter_info=self.parameter_info, file_annotation=None
        )


def is_plain(descriptor: TypeDescriptor) -> bool:
    """Whether `descriptor` is a kind this module converts: text, a path, a number, a choice.

    A flag too: Typer skips the coercion of a flag's True or False, but not of its unset
    None (`--install-completion`), and building that coercion imports pydantic.
    """
    info = descriptor.parameter_info
    if info.parser is not None or descriptor.is_list or descriptor.is_tuple or descriptor.is_file:
        return False
    annotation = descriptor.annotation
    if descriptor.is_choice or annotation in (str, bool):
        return True
    if annotation in (int, float):
        return not info.clamp
    return isinstance(annotation, type) and issubclass(annotation, Path) and info.path_type is None


def plain_value(
    descriptor: TypeDescriptor, value: object, param: _TyperParameter, ctx: Context
) -> object:
    """`value` as Typer would coerce it, or `UNSURE`."""
    annotation = descriptor.annotation
    if descriptor.is_choice:
        return _choice(descriptor, value, ctx)
    if annotation in (str, bool):  # Typer's own: the value as it came, if it is one
        return value if isinstance(value, annotation) else UNSURE
    if annotation is int:
        return _bounded(_whole(value), descriptor)
    if annotation is float:
        return _bounded(_number(value), descriptor)
    return _path(descriptor, value, param, ctx)


def _choice(descriptor: TypeDescriptor, value: object, ctx: Context) -> object:
    try:
        return coerce_cli_choice(
            value,
            choices=descriptor.choices or (),
            case_sensitive=descriptor.case_sensitive,
            ctx=ctx,
        )
    except ValueError:
        return UNSURE


def _whole(value: object) -> int | _Verdict:
    if isinstance(value, bool):
        return UNSURE
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    return UNSURE


def _number(value: object) -> float | _Verdict:
    if isinstance(value, bool):
        return UNSURE
    if (
        isinstance(value, float)
        or (isinstance(value, int) and abs(value) <= _EXACT_FLOAT)
        or (isinstance(value, str) and _NUMBER.fullmatch(value))
    ):
        number = float(value)
    else:
        return UNSURE
    return number if math.isfinite(number) else UNSURE


def _bounded(number: float | _Verdict, descriptor: TypeDescriptor) -> object:
    """`number` within the option's min and max (both inclusive), else `UNSURE`."""
    if number is UNSURE:
        return UNSURE
    low, high = descriptor.parameter_info.min, descriptor.parameter_info.max
    if (low is not None and number < low) or (high is not None and number > high):
        return UNSURE
    return number


def _path(
    descriptor: TypeDescriptor, value: object, param: _TyperParameter, ctx: Context
) -> object:
    path_type = descriptor.annotation
    if not isinstance(path_type, type) or not issubclass(path_type, Path):  # pragma: no cover
        return UNSURE  # is_plain lets only Path types through
    if isinstance(value, str):
        value = path_type(value)
    if not isinstance(value, path_type):
        return UNSURE
    try:
        return coerce_cli_path(
            value, descriptor.parameter_info, path_type=path_type, param=param, ctx=ctx
        )
    except (BadParameter, ValueError):  # ValueError: a NUL in the path; Typer words both
        return UNSURE


def install(params: Iterable[Parameter]) -> None:
    """Give each plain one of `params` `PlainCoercion`, unless its coercion is built already."""
    for param in params:
        if not isinstance(param, _TyperParameter):
            continue
        descriptor = param.type_descriptor
        if param._runtime_param is None and is_plain(descriptor):  # noqa: SLF001 - the hook
            param._runtime_param = PlainCoercion(  # noqa: SLF001
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )

"""A command group that imports a command's module only when that command runs.

Click's documented lazy-loading pattern, on Typer: the group lists its commands from a
static table (name, module, the first paragraph of the help), so `resilience --help` and
shell completion of command names import none of them; resolving a command to run it
(or to complete its options) imports its module, lets the module register its commands
on a scratch `typer.Typer`, and builds the one asked for, as Typer would have.

Every command built here, and the group itself, parses its plain options without pydantic
(`LeanCommand`, `LeanGroup`; see `cli.lean_options`).

The listing stays exactly what the eager group showed, because Typer lists a command by
the first paragraph of its help and nothing else; `tests/cli/test_lazy_commands.py` checks
the table against the commands themselves and the two `--help` pages against each other.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup
from typer.models import DefaultPlaceholder

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from typer._click import Command, Context, Parameter


@dataclass(frozen=True, slots=True)
class CommandEntry:
    """One line of the table: what `--help` lists, and where the command lives.

    Attributes:
        name: The command's name (`force-open`).
        module: The module whose `register(app)` adds it (`resilience_cli.cli.breaker`).
        summary: The first paragraph of its help, exactly: `--help` lists it.
    """

    name: str
    module: str
    summary: str


class _Registers(Protocol):
    def register(self, app: typer.Typer) -> None: ...


class Listed(TyperCommand):
    """A command as the listing sees it: its name and summary, nothing to run."""

    def __init__(self, entry: CommandEntry) -> None:
        super().__init__(entry.name, help=entry.summary)
        self.entry = entry

    def invoke(self, ctx: Context) -> object:
        """Never reached: the group swaps in the real command before it runs."""
        del ctx
        raise RuntimeError(f"command {self.entry.name!r} was run before it was loaded")


class LeanCommand(TyperCommand):
    """A Typer command whose plain options are parsed without pydantic."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        """Parse as Typer does, the plain options (help included) without pydantic."""
        spare_pydantic(self.get_params(ctx))
        return super().parse_args(ctx, args)


class LeanGroup(TyperGroup):
    """A Typer group whose own plain options are parsed without pydantic."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        """Parse as Typer does, the plain options (help included) without pydantic.

        Typer's `--install-completion` and `--show-completion` are unset flags (None) on
        every run, so without this every command would import pydantic from here.
        """
        spare_pydantic(self.get_params(ctx))
        return super().parse_args(ctx, args)


def spare_pydantic(params: Sequence[Parameter]) -> None:
    """Let the plain ones of `params` skip pydantic, where this Typer allows it."""
    try:
        from resilience_cli.cli import lean_options  # noqa: PLC0415 - Typer's private API
    except ImportError:  # pragma: no cover - another Typer: its own coercion, just slower
        return
    lean_options.install(params)


def _lean(app: typer.Typer) -> None:
    """Make the commands and groups `app` will build lean, unless they chose a class."""
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):  # Typer's default
            command.cls = LeanCommand
    for group in app.registered_groups:
        instance = group.typer_instance
        if instance is None:  # pragma: no cover - add_typer always passes one
            continue
        if isinstance(group.cls, DefaultPlaceholder) and isinstance(
            instance.info.cls, DefaultPlaceholder
        ):
            group.cls = LeanGroup
        _lean(instance)


def build_command(entry: CommandEntry, *, rich_markup_mode: typer.core.MarkupMode) -> Command:
    """The command `entry` names, built by Typer from its module, as the eager app built it."""
    module: _Registers = importlib.import_module(entry.module)
    scratch = typer.Typer(add_completion=False, rich_markup_mode=rich_markup_mode)
    module.register(scratch)
    _lean(scratch)
    command = typer.main.get_group(scratch).commands.get(entry.name)
    if command is None:  # pragma: no cover - a mistake in the table; a test checks it
        raise LookupError(f"{entry.module} registers no command {entry.name!r}")
    return command


class LazyGroup(LeanGroup):
    """A Typer group whose commands come from `entries` and are built on first use."""

    entries: ClassVar[tuple[CommandEntry, ...]] = ()

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        for entry in self.entries:
            self.commands.setdefault(entry.name, Listed(entry))

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        """Find the command as Typer does (typos get suggestions), then load it."""
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, Listed):
            command = self.load(name, command.entry)
        return name, command, rest

    def load(self, name: str, entry: CommandEntry) -> Command:
        """Build the command `entry` names, and keep it in place of its listing."""
        command = build_command(entry, rich_markup_mode=self.rich_markup_mode)
        self.commands[name] = command
        return command


def loaded(group: LazyGroup) -> Mapping[str, Command]:
    """Every command of `group`, built: what the eager group held (for tests and docs)."""
    return {
        name: group.load(name, command.entry) if isinstance(command, Listed) else command
        for name, command in list(group.commands.items())
    }

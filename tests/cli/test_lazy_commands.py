"""The command table lists what the commands say of themselves, and loads only what runs."""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys

import pytest
import typer
import typer.main

from resilience_cli.cli import app
from resilience_cli.cli.commands import COMMANDS
from resilience_cli.cli.lazy import LazyGroup, LeanCommand, Listed, build_command, loaded

COMMAND_MODULES = sorted({entry.module for entry in COMMANDS})


def _group() -> LazyGroup:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    return group


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_each_summary_is_the_first_paragraph_of_the_commands_help(entry):
    """The table lists each command by the words its own help starts with."""
    command = build_command(entry, rich_markup_mode="rich")
    assert command.name == entry.name
    assert inspect.cleandoc(command.help or "").split("\n\n")[0] == entry.summary
    assert not command.hidden
    assert not command.deprecated
    assert command.short_help is None
    assert not getattr(command, "rich_help_panel", None)


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_the_table_names_every_command_a_module_registers(module):
    """No module registers a command that the table (hence --help) leaves out."""
    scratch = typer.Typer()
    importlib.import_module(module).register(scratch)
    registered = set(typer.main.get_group(scratch).commands)
    assert registered == {entry.name for entry in COMMANDS if entry.module == module}


def _help(group: LazyGroup, capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    code = group.main(args, prog_name="resilience", standalone_mode=False)
    assert code == 0
    return capsys.readouterr().out


def test_help_reads_the_same_before_and_after_the_commands_load(capsys, monkeypatch):
    """`resilience --help` from the table is, to the character, the help of the built group."""
    monkeypatch.setenv("COLUMNS", "100")
    group = _group()
    listed = _help(group, capsys, ["--help"])
    assert all(isinstance(command, Listed) for command in group.commands.values())
    loaded(group)
    assert not any(isinstance(command, Listed) for command in group.commands.values())
    assert _help(group, capsys, ["--help"]) == listed
    assert "force-open  Hold the breaker open" in listed


def test_completion_offers_the_same_commands_before_and_after_they_load():
    """Completing a command name gives the same names and help from the table as built."""
    group = _group()
    context = group.make_context("resilience", [], resilient_parsing=True)

    def offered() -> list[tuple[str, str | None]]:
        return [(item.value, item.help) for item in group.shell_complete(context, "")]

    listed = offered()
    loaded(group)
    assert offered() == listed
    assert ("state", "Show the breaker: state, fail count,...") in listed


def test_running_a_command_builds_it_lean_and_keeps_it():
    """Resolving a command builds the real one, a LeanCommand, in place of its listing."""
    group = _group()
    context = group.make_context("resilience", ["state"])
    name, command, rest = group.resolve_command(context, ["state", "--json"])
    assert (name, rest) == ("state", ["--json"])
    assert isinstance(command, LeanCommand)
    assert group.commands["state"] is command


def test_a_listing_is_never_run():
    """A listed command that somehow runs unloaded fails loudly instead of doing nothing."""
    listing = Listed(COMMANDS[0])
    with pytest.raises(RuntimeError, match="before it was loaded"):
        listing.invoke(typer.Context(listing))


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["--help"], None),
        (["state"], "resilience_cli.cli.breaker"),
        (["reset"], "resilience_cli.cli.breaker"),
        (["explain"], "resilience_cli.cli.explain"),
        (["schema"], "resilience_cli.cli.scenario_cmds"),
    ],
)
def test_only_the_module_of_the_command_that_runs_is_imported(args, module, tmp_path):
    """`resilience --help` imports no command module; a command imports its own alone."""
    probe = (
        "import sys\n"
        "from resilience_cli.cli import main\n"
        f"sys.argv = ['resilience', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        f"print('LOADED', sorted(m for m in {COMMAND_MODULES!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "100"},
        timeout=60,
    )
    expected = [] if module is None else [module]
    assert f"LOADED {expected!r}" in done.stdout, done.stdout + done.stderr

"""Plain options parsed without pydantic give exactly what Typer's own coercion gives.

`resilience_cli.cli.lean_options` hooks into Typer's private API; these tests fail loudly
if that API moves, and compare the light coercion with Typer's, value by value.
"""

from __future__ import annotations

import enum
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
import typer
import typer.core
import typer.main
from hypothesis import given
from hypothesis import strategies as st
from typer._coercion import RuntimeParam, build_runtime_param
from typer.testing import CliRunner

from resilience_cli.cli import app, lean_options
from resilience_cli.cli.lean_options import UNSURE, PlainCoercion, install, is_plain

runner = CliRunner()


class Colour(enum.StrEnum):
    """A choice whose value differs from its name."""

    RED = "red"
    DARK_BLUE = "dark-blue"


def _probe(
    *,
    text: Annotated[str, typer.Option()] = "x",
    path: Annotated[Path | None, typer.Option()] = None,
    whole: Annotated[int, typer.Option()] = 1,
    bounded_whole: Annotated[int, typer.Option(min=1, max=1000)] = 1,
    number: Annotated[float, typer.Option()] = 1.0,
    bounded_number: Annotated[float, typer.Option(min=0, max=86_400)] = 1.0,
    colour: Annotated[Colour, typer.Option(case_sensitive=False)] = Colour.RED,
    flag: Annotated[bool, typer.Option()] = False,
) -> None:
    del text, path, whole, bounded_whole, number, bounded_number, colour, flag


def _probe_command() -> typer.core.TyperCommand:
    probe_app = typer.Typer(add_completion=False)
    probe_app.command()(_probe)
    command = typer.main.get_command(probe_app)
    assert isinstance(command, typer.core.TyperCommand)
    return command


COMMAND = _probe_command()
CONTEXT = typer.Context(COMMAND)
PARAMS = {param.name: param for param in COMMAND.params}


def _outcome(coercion: RuntimeParam, name: str, value: object) -> tuple[str, object]:
    """What a coercion makes of `value`: ("ok", value and its type) or ("error", message)."""
    param = PARAMS[name]
    assert isinstance(param, typer.core._TyperParameter)
    try:
        result = coercion.coerce(value, param=param, ctx=CONTEXT)
    except typer.BadParameter as error:
        return "error", error.format_message()
    return "ok", (repr(result), type(result))  # repr: NaN equals NaN


def _both(name: str, value: object) -> tuple[tuple[str, object], tuple[str, object]]:
    param = PARAMS[name]
    assert isinstance(param, typer.core._TyperParameter)
    descriptor = param.type_descriptor
    ours = PlainCoercion(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
    assert ours.descriptor == descriptor
    return _outcome(ours, name, value), _outcome(build_runtime_param(descriptor), name, value)


def test_the_private_hook_is_still_there():
    """Typer still coerces through `_runtime_param`, built on first use when None."""
    param = PARAMS["path"]
    assert isinstance(param, typer.core._TyperParameter)
    assert param._runtime_param is None
    assert isinstance(param.get_runtime_param(), RuntimeParam)
    assert param._runtime_param is not None, "Typer no longer caches its coercion there"


def test_typer_is_pinned_to_the_series_the_hook_was_written_for():
    """pyproject.toml keeps Typer to 0.29.x, where the hook is the same in every release."""
    major, minor = (int(part) for part in typer.__version__.split(".")[:2])
    assert (major, minor) == (0, 29), f"check lean_options against Typer {typer.__version__}"


def test_every_plain_kind_is_recognised():
    """Text, paths, whole numbers, numbers, choices and flags take the light coercion."""
    for param in COMMAND.params:
        assert isinstance(param, typer.core._TyperParameter)
        assert is_plain(param.type_descriptor), param.name


def test_install_spares_the_loaded_commands_pydantic():
    """Installing gives each plain option the light coercion and leaves a built one alone."""
    probe = _probe_command()
    built = probe.params[0]
    assert isinstance(built, typer.core._TyperParameter)
    typers_own = built.get_runtime_param()
    install(probe.params)
    assert built._runtime_param is typers_own
    for param in probe.params[1:]:
        assert isinstance(param, typer.core._TyperParameter)
        assert isinstance(param._runtime_param, PlainCoercion), param.name


EDGE_VALUES = {
    "text": ["", " ", "x y", "\x1b[2J", "é"],
    "whole": [
        "0",
        "-0",
        "7",
        "-7",
        "007",
        "+5",
        " 5",
        "5 ",
        "1_000",
        "1.0",
        "1e3",
        "٣",
        "x",
        "9" * 18,
        "9" * 19,
        "9" * 40,
        "",
        "-",
        7,
        True,
        2.0,
    ],
    "bounded_whole": ["0", "1", "1000", "1001", "-1", "500", "1_0"],
    "number": [
        "0",
        "-0",
        "0.5",
        ".5",
        "5.",
        "1e3",
        "1E-3",
        "1e999",
        "-1e999",
        "inf",
        "nan",
        "NaN",
        "+1",
        " 1",
        "1_0",
        "0x10",
        "1e",
        "e3",
        "٣",
        "",
        1,
        2**60,
        2**53,
        1.5,
        True,
        "9" * 18 + ".5",
        "1e99",
        "1e100",
    ],
    "bounded_number": ["0", "-0", "-0.0", "86400", "86400.0", "86400.5", "-1", "1e5", "nan"],
    "colour": [
        "red",
        "RED",
        "Red",
        "dark-blue",
        "DARK-BLUE",
        "blue",
        "",
        Colour.RED,
        "DARK_BLUE",
        "dark_blue",
    ],
    "flag": [True, False, "1", "yes", ""],
}


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name, values in EDGE_VALUES.items() for value in values],
)
def test_the_light_coercion_agrees_with_typers_on_edge_values(name, value):
    """On each edge value, the light coercion gives Typer's value or Typer's message."""
    ours, typers = _both(name, value)
    assert ours == typers


def test_paths_agree_existing_missing_and_odd(tmp_path, monkeypatch):
    """Paths, there or not, folders, links and odd spellings, give Typer's Path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "file")
    for value in [
        "file",
        "folder",
        "link",
        "missing",
        "a//b/",
        "",
        ".",
        "-",
        "~",
        "x\x00y",
        str(tmp_path / "file"),
        Path("file"),
    ]:
        ours, typers = _both("path", value)
        assert ours == typers, value


@given(st.text(alphabet="0123456789-+.eE_ x", max_size=12))
def test_numbers_agree_on_any_spelling(text):
    """Any string of digits, signs, points and exponents: same number or same message."""
    for name in ("whole", "bounded_whole", "number", "bounded_number"):
        ours, typers = _both(name, text)
        assert ours == typers, (name, text)


@given(st.floats(allow_nan=False) | st.integers(min_value=-(10**20), max_value=10**20))
def test_numbers_agree_on_their_own_text(number):
    """Every number written as Python writes it reads back the same both ways."""
    for name in ("whole", "number", "bounded_number"):
        ours, typers = _both(name, str(number))
        assert ours == typers, (name, number)


def test_an_unsure_value_goes_to_typer():
    """A value the light coercion does not convert is UNSURE, and Typer decides it."""
    param = PARAMS["whole"]
    assert isinstance(param, typer.core._TyperParameter)
    assert lean_options.plain_value(param.type_descriptor, "1_000", param, CONTEXT) is UNSURE
    assert _both("whole", "1_000")[0] == ("ok", ("1000", int))


ERRORS = [
    ["state", "--view", "bogus"],
    ["state", "--state-file", "x\x00y"],
    ["reset", "--lock-timeout", "-1"],
    ["reset", "--lock-timeout", "nan"],
    ["reset", "--lock-timeout", "abc"],
    ["force-open", "--lock-timeout", "86401"],
    ["invoke", "-n", "abc"],
    ["invoke", "-n", "0"],
    ["logs", "-n", "x"],
    ["upstream", "serve", "--port", "99999"],
]


@pytest.mark.parametrize("args", ERRORS)
def test_errors_read_as_typer_words_them(args, tmp_path, monkeypatch):
    """A bad value gets the same line and exit code with or without the light coercion."""
    monkeypatch.chdir(tmp_path)
    light = runner.invoke(app, args)
    monkeypatch.setattr(lean_options, "install", lambda _params: None)
    heavy = runner.invoke(app, args)
    assert light.exit_code == heavy.exit_code == 2
    assert light.output == heavy.output


COMMANDS_THAT_NEED_NO_PYDANTIC = [
    ["state"],
    ["state", "--json", "--view", "full", "--state-file", "s.json"],
    ["reset", "--lock-timeout", "5", "--log-file", "app.log"],
    ["force-open", "--reason", "drill"],
    ["--help"],
    ["state", "--help"],
]


@pytest.mark.parametrize("args", COMMANDS_THAT_NEED_NO_PYDANTIC)
def test_the_breaker_commands_never_import_pydantic(args, tmp_path):
    """`state`, `reset`, `force-open` and `--help` start without importing pydantic."""
    probe = (
        "import sys\n"
        "from resilience_cli.cli import main\n"
        f"sys.argv = ['resilience', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "print('PYDANTIC', 'pydantic' in sys.modules)\n"
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
    assert "PYDANTIC False" in done.stdout, done.stdout + done.stderr

"""Off a terminal, lines are as wide as COLUMNS says, or 120: never Rich's 80."""

import io

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app, output

runner = CliRunner()


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    ("stream", "environ", "width"),
    [
        (io.StringIO(), {}, 120),
        (io.StringIO(), {"COLUMNS": "60"}, 60),
        (io.StringIO(), {"COLUMNS": "0"}, 120),
        (io.StringIO(), {"COLUMNS": "wide"}, 120),
        (Tty(), {"COLUMNS": "60"}, None),
        (None, {}, 120),
    ],
)
def test_width_off_a_terminal(stream, environ, width):
    """A terminal is measured by Rich; elsewhere COLUMNS when it is a number, else 120."""
    assert output.width_for(stream, environ) == width


def test_both_consoles_use_it(monkeypatch):
    """The stdout and stderr consoles are 120 wide when piped, COLUMNS wide when it is set."""
    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert (output.stdout().width, output.stderr().width) == (120, 120)
    monkeypatch.setenv("COLUMNS", "90")
    assert (output.stdout().width, output.stderr().width) == (90, 90)


def test_a_piped_summary_keeps_its_heading_on_one_line():
    """`resilience invoke | cat` no longer breaks `(seed 0)` over two lines."""
    result = runner.invoke(app, ["invoke", "-n", "3", "--virtual-time", "--seed", "12345678"])
    assert result.exit_code == 0, result.output
    heading = result.stdout.splitlines()[0]
    assert heading.endswith("(seed 12345678)")


def test_a_piped_scenario_verdict_keeps_to_one_line():
    """The PASSED line of a scenario run is one line in a CI log."""
    result = runner.invoke(app, ["run", "tour", "--virtual-time"])
    assert result.exit_code == 0, result.output
    passed = next(line for line in result.stdout.splitlines() if line.startswith("PASSED"))
    assert passed.endswith("of virtual time; breaker CLOSED")


def test_columns_is_honoured_off_a_terminal(monkeypatch):
    """COLUMNS=60 narrows the report when it is set."""
    monkeypatch.setenv("COLUMNS", "60")
    result = runner.invoke(app, ["invoke", "-n", "3", "--virtual-time"])
    assert max(len(line) for line in result.stdout.splitlines()) <= 60

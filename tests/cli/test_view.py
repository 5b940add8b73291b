"""`--view compact|full` on every command that prints a summary, and its default."""

import io
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from resilience_cli.cli import app, output

runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_STEP_SUMMARY", "RESILIENCE_STATE_FILE", "RESILIENCE_VIEW", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def terminal(monkeypatch):
    """A terminal 100 columns wide whose height each test sets; returns what it showed."""
    screen = io.StringIO()

    def with_rows(rows: int):
        def console() -> Console:
            return Console(file=screen, width=100, height=rows, force_terminal=True)

        monkeypatch.setattr(output, "stdout", console)
        return screen

    return with_rows


def shown(screen: io.StringIO) -> list[str]:
    """The screen's lines, without colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue()).splitlines()


CALLS = [
    ["error", "-n", "20", "--virtual-time"],
    ["invoke", "-n", "60", "--virtual-time"],
    ["delay", "-n", "8", "--virtual-time"],
]


@pytest.mark.parametrize("command", CALLS, ids=lambda c: c[0])
def test_a_30_row_terminal_gets_each_call_commands_headline_in_15_lines(terminal, command):
    """On a 30-row terminal the call commands print the compact view: 15 lines at most."""
    screen = terminal(30)
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    lines = shown(screen)
    assert 5 <= len(lines) <= 15, "\n".join(lines)
    assert lines[0].startswith(f"resilience {command[0]}: ")
    assert any(line.startswith("breaker ") for line in lines)


def test_a_tall_terminal_keeps_the_full_view(terminal):
    """50 rows: the full view, with its Why and Concurrency tables."""
    screen = terminal(50)
    assert runner.invoke(app, ["error", "-n", "20", "--virtual-time"]).exit_code == 0
    text = "\n".join(shown(screen))
    assert "Concurrency and pacing" in text
    assert "Why" in text


def test_piped_output_keeps_the_full_view():
    """Off a terminal (a pipe, a CI log) the full view is the default, whatever the rows."""
    result = runner.invoke(app, ["error", "-n", "20", "--virtual-time"], env={"LINES": "24"})
    assert result.exit_code == 0
    assert "Concurrency and pacing" in result.stdout
    assert len(result.stdout.splitlines()) > 25


@pytest.mark.parametrize("command", [*CALLS, ["state"], ["reset"], ["force-open"]])
def test_every_summary_command_takes_view(command):
    """--view compact and --view full on the call commands, state, reset and force-open."""
    compact = runner.invoke(app, [*command, "--view", "compact"])
    full = runner.invoke(app, [*command, "--view", "full"])
    assert (compact.exit_code, full.exit_code) == (0, 0), compact.output + full.output
    assert len(compact.stdout.splitlines()) < len(full.stdout.splitlines())


def test_the_view_can_come_from_the_environment():
    """RESILIENCE_VIEW=compact sets the view for a whole class, piped or not."""
    result = runner.invoke(
        app, ["error", "-n", "20", "--virtual-time"], env={"RESILIENCE_VIEW": "compact"}
    )
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) <= 15


@pytest.mark.parametrize(
    ("args", "env"),
    [(["state", "--view", "tiny"], {}), (["state"], {"RESILIENCE_VIEW": "tiny"})],
)
def test_an_unknown_view_is_a_usage_error(args, env):
    """A view that does not exist: one `error:` line naming --view, exit 2."""
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--view'")
    assert len(result.stderr.splitlines()) == 1


def test_the_tour_on_a_30_row_terminal_shows_each_step_in_15_lines(terminal):
    """`run tour` at 100x30: every step, header and verdicts included, fits in 15 lines."""
    screen = terminal(30)
    result = runner.invoke(app, ["run", "tour", "--virtual-time"])
    assert result.exit_code == 0, result.output
    steps: list[list[str]] = []
    for line in shown(screen):
        if line.startswith(("Step ", "Finally ", "Expectations ")):
            steps.append([])
        if steps:
            steps[-1].append(line)
    assert len(steps) == 14  # 12 steps, 1 finally, the verdict
    assert max(len(step) for step in steps) <= 15
    # The compact verdict block lists no passing expectation twice: rule and outcome only.
    assert len(steps[-1]) == 2
    assert steps[-1][1].startswith("PASSED  20 of 20 expectations held")


def test_run_takes_view_full_on_a_short_terminal(terminal):
    """--view full wins over the terminal's height."""
    screen = terminal(30)
    assert (
        runner.invoke(app, ["run", "fallback", "--virtual-time", "--view", "full"]).exit_code == 0
    )
    assert "Concurrency and pacing" in "\n".join(shown(screen))

"""Outside text (reasons, names, titles, log lines) is printed as text, never as markup."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console
from typer.testing import CliRunner

from resilience_cli.cli import app, logs
from resilience_cli.patterns import BreakerState, Transition
from resilience_cli.reporting import render_breaker
from resilience_cli.state.breaker import BreakerView

WALL = 1_767_225_600.0
MARKUP = "[bold red]X[/] [link=http://evil.example]x[/link]"
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"
runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    return tmp_path


def on_a_terminal(renderable) -> str:
    """What a colour terminal would receive: every escape sequence Rich would send."""
    file = io.StringIO()
    Console(file=file, width=100, color_system="truecolor", force_terminal=True).print(renderable)
    return file.getvalue()


def plain_text(renderable) -> str:
    file = io.StringIO()
    Console(file=file, width=100, color_system=None).print(renderable)
    return file.getvalue()


def panel_with_reason(reason: str):
    transition = Transition(BreakerState.CLOSED, BreakerState.FORCED_OPEN, WALL, reason)
    view = BreakerView(BreakerState.FORCED_OPEN, 0, WALL, None)
    return render_breaker(view, (transition,), title="Circuit breaker (./[red]x[/red].json)")


def test_a_reason_that_looks_like_markup_is_shown_as_written():
    """`[bold red]X[/] [link=...]` is neither styled nor a hyperlink: it is shown literally."""
    received = on_a_terminal(panel_with_reason(MARKUP))
    assert "[bold red]X[/]" in received
    assert "[link=http://evil.example]" in received
    assert "\x1b]8;" not in received  # no OSC 8 hyperlink
    assert "[red]x[/red].json" in received  # the title is text too


def test_a_reason_that_closes_no_tag_renders():
    """`[/]` used to raise MarkupError in every view of the breaker."""
    assert "[/]" in plain_text(panel_with_reason("[/]"))


def test_escape_sequences_in_a_reason_are_shown_not_sent():
    r"""ESC and BEL reach the screen as `\\x1b` and `\\x07`, never as control bytes."""
    received = on_a_terminal(panel_with_reason(ESCAPES))
    assert "\x07" not in received
    assert "\x1b]0" not in received
    assert "\x1b[2J" not in received
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in plain_text(panel_with_reason(ESCAPES))


def test_force_open_state_and_reset_survive_a_markup_reason():
    """`force-open --reason '[/]'` then `state` then `reset` all exit 0 and show it."""
    opened = runner.invoke(app, ["force-open", "--reason", "[/]"])
    assert opened.exit_code == 0, opened.output
    state = runner.invoke(app, ["state"])
    assert state.exit_code == 0, state.output
    assert "[/]" in state.stdout
    reset = runner.invoke(app, ["reset"])
    assert reset.exit_code == 0, reset.output


def test_state_and_logs_never_send_a_reasons_escape_bytes():
    """A forced-open reason with escapes is shown as escapes by `state`, `logs` and `logs --raw`."""
    assert runner.invoke(app, ["force-open", "--reason", ESCAPES]).exit_code == 0
    for command in (["state"], ["logs"], ["logs", "--raw"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout, command
        assert "\x07" not in result.stdout, command
        assert "\\x1b]0;pwned" in result.stdout or "\\u001b]0;pwned" in result.stdout, command


SCENARIO = r"""
version: 1
title: "Title [bold]x[/bold] \e]0;pwned\a"
description: "line one\nline two \e[2J"
steps:
  - name: "step \e[31mred"
    force-open: {reason: "\e]0;pwned\a\e[2J"}
    expect: {breaker.state: forced_open}
  - state: {}
finally:
  - reset: {}
"""


def test_a_scenarios_text_is_shown_as_text_in_every_report(in_tmp, monkeypatch):
    """Title, description, step name and reason are visible escapes in every report."""
    # The terminal, the JUnit file (which must stay well-formed XML) and the job summary.
    (in_tmp / "hostile.yaml").write_text(SCENARIO)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(in_tmp / "summary.md"))
    result = runner.invoke(app, ["run", "hostile.yaml", "--virtual-time", "--junit", "junit.xml"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert "Title [bold]x[/bold] \\x1b]0;pwned\\x07" in result.stdout
    assert "line one\nline two \\x1b[2J" in result.stdout
    assert "step \\x1b[31mred" in result.stdout
    suite = ET.parse(in_tmp / "junit.xml").getroot()  # noqa: S314 - ours; raised on ESC before
    assert suite.find(".//testcase").get("classname") == "hostile.step \\x1b[31mred"
    summary = (in_tmp / "summary.md").read_text()
    assert "\x1b" not in summary
    assert "step \\x1b[31mred" in summary


def test_validate_shows_a_title_as_text(in_tmp):
    """`validate`'s ok line prints the title as written, markup and all."""
    (in_tmp / "hostile.yaml").write_text(SCENARIO)
    result = runner.invoke(app, ["validate", "hostile.yaml"])
    assert result.exit_code == 0, result.output
    assert "Title [bold]x[/bold] \\x1b]0;pwned\\x07" in result.stdout


def test_a_json_document_carries_no_raw_control_character(in_tmp):
    """`--json` escapes every control and non-ASCII character: safe to cat to a terminal."""
    (in_tmp / "hostile.yaml").write_text(SCENARIO.replace("Title", "Titre \u2014 \u202e"))
    result = runner.invoke(app, ["run", "hostile.yaml", "--virtual-time", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout.isascii()
    assert json.loads(result.stdout)["runs"][0]["title"].startswith("Titre \u2014 \u202e")


@pytest.mark.parametrize("line", ["plain \x1b[2J text\n", '{"event": "x", "why": "\\u001b[2J"}\n'])
def test_a_log_line_is_shown_with_its_escapes_visible(line):
    r"""A log line that is not ours, or a field holding ESC, is shown as `\\x1b`."""
    assert "\x1b" not in logs.format_line(line).plain
    assert "\\x1b[2J" in logs.format_line(line).plain


def test_an_error_quoting_the_users_input_shows_its_escapes():
    """`error: ...` lines made from a flag's value never carry its control characters."""
    result = runner.invoke(app, ["run", "nosuch\x1b[2J.yaml"])
    assert result.exit_code == 2
    assert "\x1b" not in result.output
    assert "\\x1b[2J" in result.output

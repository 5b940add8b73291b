"""A palette that survives a projector and NO_COLOR: nothing dim, every colour legible."""

import io
import re

import pytest
from rich.color import Color, ColorType
from rich.console import Console
from rich.style import Style
from typer.testing import CliRunner

from resilience_cli import palette
from resilience_cli.cli import app, output
from resilience_cli.export.theme import BACKGROUND, FOREGROUND, SLIDE_THEME

runner = CliRunner()
COLOURED = {
    "GOOD": palette.GOOD,
    "RECOVERED": palette.RECOVERED,
    "CAUTION": palette.CAUTION,
    "BAD": palette.BAD,
    "FORCED": palette.FORCED,
}
FAILING = """\
version: 1
title: A failing check
steps:
  - name: errors
    error: {count: 3}
    policies: {breaker: null}
    expect:
      outcome.success: [{threshold: rate == 1, abort_on_fail: true}]
      latency: [{threshold: "p(95) < 1ms", strict: false}]
  - state: {}
"""


def luminance(rgb) -> float:
    """WCAG 2 relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = rgb
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(one, other) -> float:
    """WCAG 2 contrast ratio, from 1 to 21."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder, with no CI environment leaking in."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_STEP_SUMMARY", "RESILIENCE_STATE_FILE", "RESILIENCE_VIEW", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "failing.yaml").write_text(FAILING)
    return tmp_path


@pytest.fixture
def colour_terminal(monkeypatch):
    """A truecolor terminal, 100x30, that keeps every escape sequence it is sent."""
    screen = io.StringIO()

    def console() -> Console:
        return Console(
            file=screen, width=100, height=30, force_terminal=True, color_system="truecolor"
        )

    monkeypatch.setattr(output, "stdout", console)
    return screen


def sgr_attributes(text: str) -> set[str]:
    """Every SGR attribute in `text` (`2` is dim), colours as `fg:N` or `fg:#rrggbb`."""
    found: set[str] = set()
    for sequence in re.findall(r"\x1b\[([0-9;]*)m", text):
        params = sequence.split(";")
        i = 0
        while i < len(params):
            param = params[i]
            if param in ("38", "48") and params[i + 1] == "5":
                found.add(f"{param}:{params[i + 2]}")
                i += 3
            elif param in ("38", "48") and params[i + 1] == "2":
                found.add(f"{param}:#" + "".join(f"{int(v):02x}" for v in params[i + 2 : i + 5]))
                i += 5
            else:
                found.add(param)
                i += 1
    return found


REPORTS = [
    ["error", "-n", "20", "--virtual-time", "--view", "full"],
    ["error", "-n", "20", "--virtual-time", "--view", "compact"],
    ["state", "--view", "full"],
    ["state", "--view", "compact"],
    ["run", "failing.yaml", "--virtual-time", "--view", "full"],
    ["run", "failing.yaml", "--virtual-time", "--view", "compact"],
    ["logs", "-n", "200"],
]


def test_no_report_prints_dim_or_grey_text(colour_terminal):
    """Summaries, panels, verdicts (failed, advisory) and logs: no dim, no grey, no white."""
    for command in REPORTS:
        runner.invoke(app, command)
    attributes = sgr_attributes(colour_terminal.getvalue())
    assert "1" in attributes  # bold is there: the check reads the sequences
    washed_out = {"2", "37", "90", "97", "38:7", "38:8", "38:15"} | {
        f"38:{n}" for n in range(232, 256)
    }
    assert not attributes & washed_out


@pytest.mark.parametrize(("role", "style"), COLOURED.items())
def test_every_colour_reads_on_light_and_dark_backgrounds(role, style):
    """Bold, one of xterm's fixed 256 colours, and >= 3:1 against every common background."""
    parsed = Style.parse(style)
    assert parsed.bold, role
    assert parsed.color.type is ColorType.EIGHT_BIT
    assert parsed.color.number >= 16  # not one of the 16 a terminal's theme redefines
    rgb = parsed.color.get_truecolor()
    for background in palette.BACKGROUNDS:
        ratio = contrast(rgb, Color.parse(background).get_truecolor())
        assert ratio >= palette.MIN_CONTRAST, f"{role} on {background}: {ratio:.2f}"


def test_the_terminals_own_yellow_cyan_and_blue_would_fail_that_check():
    """The check can fail: xterm's yellow, and VS Code's green, on white are under 3:1."""
    white = (255, 255, 255)
    assert contrast((205, 205, 0), white) < palette.MIN_CONTRAST
    assert contrast((0, 188, 0), white) < palette.MIN_CONTRAST


def test_slide_colours_read_on_the_slide():
    """On a slide's white, the text and all 16 terminal colours are at 4.5:1 or more."""
    assert contrast(FOREGROUND, BACKGROUND) >= 15
    for number in range(16):
        rgb = SLIDE_THEME.ansi_colors[number]
        assert contrast(tuple(rgb), BACKGROUND) >= 4.5, number


def test_no_color_keeps_every_word(monkeypatch, colour_terminal):
    """NO_COLOR: no colour at all, yet the states, marks and counts are all in the text."""
    monkeypatch.setenv("NO_COLOR", "1")
    runner.invoke(app, ["run", "failing.yaml", "--virtual-time", "--view", "compact"])
    text = colour_terminal.getvalue()
    attributes = sgr_attributes(text)
    colours = {a for a in attributes if re.fullmatch(r"(3[0-8]|4[0-8]|9[0-7]|10[0-7])(:.*)?", a)}
    assert not colours
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    for words in ("✗ outcome.success rate == 1", "(aborts the run)", "(advisory)", "ABORTED"):
        assert words in plain

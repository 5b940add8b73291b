"""At a projector's width, a line breaks between things, never inside a number or a word."""

import io
import json

import pytest
from rich.console import Console
from rich.table import Table

from resilience_cli.cli import logs
from resilience_cli.reporting.text import Packed

PACING = (
    "peak in flight 1",
    "bulkhead peak 1, queued 0",
    "rate-limited 0",
    "3,769.8 calls/s in 0.001 s",
)


def shown(renderable: object, width: int) -> list[str]:
    file = io.StringIO()
    Console(file=file, width=width, color_system=None).print(renderable)
    return [line.rstrip() for line in file.getvalue().splitlines()]


def in_grid(value: object) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row("pacing", value)
    return grid


@pytest.mark.parametrize("width", [100, 90, 70, 50, 40])
def test_the_pacing_line_breaks_only_between_its_parts(width):
    """`... calls/s in 0.001` and `s` on the next line was what 100 columns showed."""
    lines = shown(in_grid(Packed(PACING, " · ")), width)
    pieces = [piece.strip() for line in lines for piece in line.removeprefix("pacing").split(" · ")]
    assert pieces == list(PACING)
    assert all(len(line) <= width for line in lines)


def test_the_pacing_line_is_one_line_where_it_fits():
    """Wide enough, nothing is broken at all."""
    assert shown(in_grid(Packed(PACING, " · ")), 120) == ["pacing  " + " · ".join(PACING)]


def test_a_part_wider_than_the_line_folds_instead_of_spilling():
    """A part that cannot fit anywhere is folded, never wider than the terminal."""
    lines = shown(Packed(("x" * 30, "y"), " · "), 20)
    assert all(len(line) <= 20 for line in lines)
    assert "".join(lines[:2]) == "x" * 30


LINE = json.dumps(
    {
        "timestamp": "2026-12-06T09:14:56.536+00:00",
        "level": "info",
        "event": "call.rejected",
        "command": "invoke",
        "pattern": "breaker",
        "reason": "breaker_open",
        "detail": "circuit forced_open",
    }
)


def test_a_log_line_on_a_terminal_wraps_its_fields_between_words_under_themselves():
    """`det` / `ail=circuit forced_open` was what `logs` showed at 100 columns."""
    console = Console(file=io.StringIO(), width=100, color_system=None)
    lines = logs.wrapped_line(LINE, console).plain.splitlines()
    assert len(lines) == 2
    assert all(len(line) <= 100 for line in lines)
    column = lines[0].index("pattern=")
    assert lines[1][:column].strip() == ""
    assert lines[1][column:] == "detail=circuit forced_open"


def test_a_log_line_that_fits_or_has_no_room_is_the_one_line_a_file_gets():
    """Wide terminals, very narrow ones and lines that are not ours keep the plain form."""
    wide = Console(file=io.StringIO(), width=200, color_system=None)
    narrow = Console(file=io.StringIO(), width=60, color_system=None)
    plain = logs.format_line(LINE).plain
    assert logs.wrapped_line(LINE, wide).plain == plain
    assert logs.wrapped_line(LINE, narrow).plain == plain
    assert logs.wrapped_line("not json at all", narrow).plain == "not json at all"

import io
import sys

import pytest

from resilience_cli.glyphs import (
    ASCII,
    ERROR_HANDLER,
    UNICODE,
    glyphs_for,
    stand_in,
    use_ascii_stand_ins,
)


def test_utf8_keeps_every_symbol():
    """A UTF-8 stream gets the Unicode symbols."""
    assert glyphs_for("utf-8") == UNICODE
    assert glyphs_for(None) == UNICODE


def test_ascii_gets_ascii_stand_ins():
    """An ASCII stream gets `->`, `ok`, `FAIL`, `-`."""
    assert glyphs_for("ascii") == ASCII
    assert (ASCII.arrow, ASCII.ok, ASCII.fail, ASCII.dash) == ("->", "ok", "FAIL", "-")


def test_cp1252_keeps_what_it_can_encode():
    """cp1252 has `—` and `·` but no `→`, `✓` or `✗`: each symbol is decided on its own."""
    glyphs = glyphs_for("cp1252")
    assert (glyphs.arrow, glyphs.ok, glyphs.fail) == ("->", "ok", "FAIL")
    assert (glyphs.dash, glyphs.dot) == ("\u2014", "\u00b7")


def test_an_unknown_encoding_is_read_as_ascii():
    """An encoding Python does not know cannot be trusted with anything but ASCII."""
    assert glyphs_for("no-such-codec") == ASCII


@pytest.mark.parametrize(
    ("character", "expected"),
    [
        ("\u2192", "->"),
        ("\u2500", "-"),
        ("\u2502", "|"),
        ("\u2514", "+"),
        ("\u256d", "+"),
        ("\u263a", "\\u263a"),
        ("\U0001f600", "\\U0001f600"),
        ("\u00e9", "e"),
    ],
)
def test_stand_ins(character, expected):
    """Known symbols and box lines get ASCII look-alikes; anything else its escape."""
    assert stand_in(character) == expected


def test_the_error_handler_writes_stand_ins_instead_of_failing():
    """Encoding with the handler never raises and never writes `?`."""
    text = "CLOSED \u2192 OPEN \u2713 \u2514\u2500 caf\u00e9 \U0001f600"
    assert text.encode(
        "cp1252", ERROR_HANDLER
    ) == "CLOSED -> OPEN ok +- caf\u00e9 \\U0001f600".encode("cp1252")
    assert text.encode("ascii", ERROR_HANDLER) == b"CLOSED -> OPEN ok +- cafe \\U0001f600"


def test_the_command_line_gives_both_streams_the_stand_ins(monkeypatch):
    """Both standard streams get the handler; one that cannot be reconfigured is left be."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # has no reconfigure
    use_ascii_stand_ins()
    assert stdout.errors == ERROR_HANDLER
    stdout.write("CLOSED → OPEN")
    stdout.flush()
    assert stdout.buffer.getvalue() == b"CLOSED -> OPEN"

import pytest

from resilience_cli.printable import printable, shown


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J"),
        ("a\rb", "a\\rb"),
        ("a\nb", "a\\nb"),
        ("tab\there", "tab\there"),
        ("\x7f\x9b[31m", "\\x7f\\x9b[31m"),
        ("abc\u202edcba", "abc\\u202edcba"),
        ("line\u2028sep", "line\\u2028sep"),
        ("caf\u00e9 \u2192 \U0001f600", "caf\u00e9 \u2192 \U0001f600"),
    ],
)
def test_control_characters_are_shown_as_escapes(text, visible):
    """ESC, BEL, CR, DEL, C1, bidi overrides: each becomes its escape; printable text stays."""
    assert printable(text) == visible


def test_a_byte_that_was_not_utf8_is_shown_as_its_escape():
    """A file name or argument with a byte that is not UTF-8 (a lone surrogate) can be written."""
    text = printable("caf\udce9.yaml \ud800", multiline=True)
    assert text == "caf\\udce9.yaml \\ud800"
    assert text.encode("utf-8")


def test_a_block_keeps_its_newlines():
    """A description may span lines; its other control characters are still shown."""
    assert printable("one\ntwo\x1b[2J", multiline=True) == "one\ntwo\\x1b[2J"


def test_shown_redacts_and_escapes():
    """`shown` is both: credentials out, control characters visible."""
    assert shown("http://u:pw@h \x1b[2J") == "http://u:***@h \\x1b[2J"

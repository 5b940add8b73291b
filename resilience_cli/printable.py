r"""Text that did not come from our own code, made safe to print on any terminal.

A scenario's title, a step name, an operator's `--reason`, a file name, a log line or an
error message quoting the user's input may hold escape sequences: `\e]0;pwned\a` retitles
the terminal, `\e[2J` clears it, a right-to-left override reorders what follows. Every
such character is shown as its escape, so `\x1b` is printed as the four characters
`\x1b` and the terminal only ever receives text. Newlines are kept where a text may span
lines (a description), and shown as `\n` where it may not (a name, a reason).

`shown` also redacts credentials in URLs (see `resilience_cli.redact`): it is the one
function to call on anything from outside before it is printed.
"""

from __future__ import annotations

import re
from typing import Final

from resilience_cli.redact import redact

# C0 controls but tab, DEL, C1 controls, the bidirectional formatting characters, the
# line and paragraph separators (which some terminals treat as newlines), and lone
# surrogates: what Python makes of a byte that is not UTF-8 in a file name or an argument,
# which no UTF-8 file or stream can hold.
_CONTROLS: Final = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
)
_UNSAFE_IN_LINE: Final = re.compile(f"[\n{_CONTROLS}]")
_UNSAFE_IN_BLOCK: Final = re.compile(f"[{_CONTROLS}]")
_NAMED: Final = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    character = match.group(0)
    named = _NAMED.get(character)
    if named is not None:
        return named
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, multiline: bool = False) -> str:
    r"""`text` with every control character shown as its escape (`\x1b`, `\u202e`, `\n`)."""
    unsafe = _UNSAFE_IN_BLOCK if multiline else _UNSAFE_IN_LINE
    return unsafe.sub(_escape, text)


def shown(text: object, *, multiline: bool = False) -> str:
    """Outside text ready to print: credentials redacted, control characters visible."""
    return printable(redact(str(text)), multiline=multiline)

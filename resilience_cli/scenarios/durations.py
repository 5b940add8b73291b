"""The one duration grammar of scenario files: `300ms`, `2s`, `1.5m`, or a number of seconds.

Policy keys, `pause` and the thresholds of `expect:` all read durations with these rules,
so `300ms` means the same everywhere. Digits are ASCII only: Python's `float` also reads
the digits of other scripts (Arabic-Indic, fullwidth), which a reader of the file would
not take for a number, and a regex's digit class matches them unless told (`re.ASCII`).

A duration is at most a day (`MAX_SECONDS`): no timeout, backoff or open window of a
classroom or CI run needs more, and a bound keeps virtual time and float arithmetic sane.
"""

from __future__ import annotations

import math
import re
from typing import Final

from resilience_cli.limits import MAX_SECONDS

UNITS: Final = ("ms", "s", "m")
# The same text serves the JSON Schema (ECMA-262, where \d and \s are ASCII already) and
# the loader (where re.ASCII makes them so).
PATTERN: Final = r"^\s*(\d+(\.\d+)?|\.\d+)\s*(ms|s|m)?\s*$"
HINT: Final = "must be a number of seconds like 2 or 300ms"

_DURATION: Final = re.compile(PATTERN, re.ASCII)  # groups: 1 the number, 3 the unit
# Milliseconds are divided, minutes multiplied, so that "300ms" and "0.3s" are one float.
_PER_SECOND: Final = {"ms": 1000}
_SECONDS: Final = {"s": 1, "m": 60}
_TOO_LONG: Final = f"must be at most {MAX_SECONDS:.0f} seconds (a day)"


def is_digit(char: str) -> bool:
    """An ASCII digit: `str.isdigit` also accepts '²', which `float` refuses."""
    return len(char) == 1 and "0" <= char <= "9"


def to_seconds(number: float, unit: str | None) -> float:
    """`number` of `unit` (`ms`, `s`, `m`; None means seconds) in seconds."""
    if unit in _PER_SECOND:
        return number / _PER_SECOND[unit]
    return number * _SECONDS.get(unit or "s", 1)


def in_unit(seconds: float, unit: str | None) -> float:
    """`seconds` spelt in `unit` again: 0.3 in `ms` is 300 (rounded to 9 decimals)."""
    if unit in _PER_SECOND:
        return round(seconds * _PER_SECOND[unit], 9)
    return seconds / _SECONDS.get(unit or "s", 1)


def parse_seconds(value: object) -> float:
    """Read a duration: a number of seconds, or a text such as `300ms`, `2s`, `1.5m`.

    Args:
        value: The value from the file.

    Returns:
        The duration in seconds (a negative number is returned as is, for the range
        check of whatever it configures to refuse with its own words).

    Raises:
        ValueError: It is not a number or a duration text, or it is longer than a day.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(HINT)  # noqa: TRY004 - pydantic reports ValueError, not TypeError
    if isinstance(value, int):
        # An integer of 400 digits has no float: compare it before converting it.
        if value > MAX_SECONDS:
            raise ValueError(_TOO_LONG)
        if value < -MAX_SECONDS:
            raise ValueError("must be >= 0")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match is None:
            raise ValueError(HINT)
        seconds = to_seconds(float(match[1]), match[3])  # 400 digits: inf, too long
    elif math.isfinite(value):
        seconds = value
    else:
        raise ValueError(HINT)
    if seconds > MAX_SECONDS:
        raise ValueError(_TOO_LONG)
    return seconds

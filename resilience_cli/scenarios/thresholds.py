"""The expectation grammar: `<aggregation> <operator> <value>`, k6 style, parsed and never eval-ed.

Scenario files say what a step must show with short texts such as `p(95) < 300ms`,
`rate > 0.9` or `value == open`. A scenario file is input from whoever wrote it, so the
text goes through this small hand-written scanner, never `eval`, and every mistake comes
back as one `ThresholdError` line that names the problem and the column where it starts,
so the loader can point at `file:line:col`.

The grammar (whitespace between tokens is optional: `p(95)<300ms` is `p(95) < 300ms`)::

    threshold   = aggregation operator value
    aggregation = "count" | "rate" | "value" | "avg" | "min" | "med" | "max"
                | "p" "(" number ")"                 ; 0 < number <= 100
    operator    = "<" | "<=" | ">" | ">=" | "==" | "!="
    value       = number [unit] | word
    unit        = "ms" | "s" | "m" | "%"
    number      = digits ["." digits] | "." digits      ; no sign, no exponent, <= 10**15
    word        = [a-z_]+                              ; only as `value == word` or `!=`

Numbers with a unit are converted when parsed: durations to seconds (`300ms` is 0.3,
`2m` is 120) and percentages to fractions (`90%` is 0.9). A number without a unit is
kept as written, because its meaning depends on the metric: on a latency Trend it means
milliseconds, as in k6; elsewhere it is the metric's own number. `metrics.py` decides.

Units that cannot fit the aggregation are refused here already: a count has no unit, a
rate is a fraction (`%` or none, at most 1), and latency aggregations take durations.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_THRESHOLD
from resilience_cli.scenarios.durations import UNITS as DURATION_UNITS
from resilience_cli.scenarios.durations import in_unit, is_digit, to_seconds

if TYPE_CHECKING:
    from collections.abc import Callable

AGGREGATIONS: Final = ("count", "rate", "value", "avg", "min", "med", "max", "p")
OPERATORS: Final = ("<", "<=", ">", ">=", "==", "!=")
UNITS: Final = (*DURATION_UNITS, "%")
# A text with one of these is a threshold (`count >= 10`); a scalar without means equality.
OPERATOR_CHARS: Final = "<>=!"

_DURATION_AGGREGATIONS: Final = frozenset({"avg", "min", "med", "max", "p"})
# Words people reach for first, mapped to the spelling the grammar wants.
_AGGREGATION_ALIASES: Final = {
    "mean": "avg",
    "average": "avg",
    "median": "med",
    "minimum": "min",
    "maximum": "max",
    "total": "count",
    "sum": "count",
}
_UNIT_ALIASES: Final = {
    "msec": "ms",
    "msecs": "ms",
    "millis": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "percent": "%",
    "pct": "%",
}
_OPERATOR_FIXES: Final = {"=": "==", "=>": ">=", "=<": "<=", "<>": "!=", "!": "!=", "===": "=="}
_EXAMPLE: Final = "e.g. 'p(95) < 300ms'"
_TOO_LARGE: Final = f"the number is too large; expectations compare numbers up to {MAX_THRESHOLD:,}"


class ThresholdError(UsageError, ValueError):
    """A threshold text that does not parse. The message is one line; `column` is 0-based.

    `column` counts characters from the start of the text given to `parse_threshold`
    (leading whitespace included), so the loader can add it to the YAML scalar's column.
    """

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True, slots=True)
class Threshold:
    """One parsed expectation, such as `p(95) < 300ms`.

    Attributes:
        text: The threshold as written, stripped.
        aggregation: `count`, `rate`, `value`, `avg`, `min`, `med`, `max` or `p`.
        percentile: N of `p(N)`, 0 < N <= 100; None for the other aggregations.
        op: `<`, `<=`, `>`, `>=`, `==` or `!=`.
        value: A number, converted (durations to seconds, `%` to a fraction), or a word.
            A number without a unit is kept as written for the metric to read: on a
            latency Trend it means milliseconds.
        unit: `ms`, `s`, `m` or `%` as written, or None.
    """

    text: str
    aggregation: str
    percentile: float | None
    op: str
    value: float | str
    unit: str | None

    @property
    def aggregation_text(self) -> str:
        """The aggregation as the report names it: `count`, `avg`, `p(95)`."""
        if self.percentile is None:
            return self.aggregation
        return f"p({format_number(self.percentile)})"

    @property
    def value_text(self) -> str:
        """The value as written, without inner whitespace: `300ms`, `0.9`, `open`."""
        operator_end = _operator_end(self.text)
        if operator_end is None:  # built by hand rather than parsed
            return _spell(self.value, self.unit)
        return "".join(self.text[operator_end:].split())

    def __str__(self) -> str:
        """The canonical spelling, which parses back to an equal threshold."""
        return f"{self.aggregation_text} {self.op} {self.value_text}"


def parse_threshold(text: str) -> Threshold:
    """Parse `<aggregation> <operator> <value>` into a `Threshold`.

    Args:
        text: The threshold as written, for example `p(95) < 300ms` or `value == open`.

    Returns:
        The threshold, with `value` converted (durations in seconds, `%` as a fraction).

    Raises:
        ThresholdError: The text does not fit the grammar; the message says where and why.
    """
    return _Parser(text).threshold()


def equality(value: str | float) -> Threshold:
    """The threshold a bare scalar expectation stands for: `value == <value>`.

    `breaker.state: open` and `calls: 20` in a scenario file mean equality. On a Counter,
    `value` is its count (see `metrics.py`).

    Args:
        value: The scalar from the file: a word such as `open`, or a number.

    Returns:
        The threshold `value == <value>`.

    Raises:
        ThresholdError: The scalar is not a word or a number >= 0; `column` is relative to
            the scalar itself.
    """
    if isinstance(value, bool):
        raise ThresholdError(
            f"{str(value).lower()!r} is a yes/no value; expect a number or a word such as 'open'",
            0,
        )
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ThresholdError(f"{value!r} is not a finite number", 0)
        if abs(value) > MAX_THRESHOLD:  # before any float(): a 400-digit int has none
            raise ThresholdError(_TOO_LARGE, 0)
        written = format_number(value)
    else:
        written = value.strip()
        if any(char in OPERATOR_CHARS for char in written):
            raise ThresholdError(
                f"{written!r} is a threshold, not a value; write it as a list item: [{written!r}]",
                0,
            )
    prefix = "value == "
    try:
        return parse_threshold(prefix + written)
    except ThresholdError as exc:
        raise ThresholdError(str(exc), max(0, exc.column - len(prefix))) from None


def format_number(number: float) -> str:
    """The shortest text that reads back as `number`: `95`, `99.9`, `0.3`."""
    # Decimal spells the shortest round-tripping repr without an exponent, which the
    # grammar does not accept: 1e-07 becomes 0.0000001.
    text = format(Decimal(repr(float(number))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _spell(value: float | str, unit: str | None) -> str:
    """A converted value in its written unit again: 0.3 with `ms` is `300ms`.

    The conversion back is rounded to 9 decimals, so 0.07 with `%` is `7%`, not
    `7.000000000000001%`.
    """
    if isinstance(value, str):
        return value
    if unit == "%":
        return f"{format_number(round(value * 100, 9))}%"
    if unit in DURATION_UNITS:
        return f"{format_number(in_unit(value, unit))}{unit}"
    return format_number(value)


def _operator_end(text: str) -> int | None:
    """Where the operator of a parsed threshold text ends (no other token uses its characters)."""
    start = next((i for i, char in enumerate(text) if char in OPERATOR_CHARS), None)
    if start is None:
        return None
    end = start
    while end < len(text) and text[end] in OPERATOR_CHARS:
        end += 1
    return end


def _suggest(word: str, choices: tuple[str, ...], aliases: dict[str, str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or nothing when none is close."""
    lowered = word.lower()
    if lowered in choices:
        match = lowered
    elif lowered in aliases:
        match = aliases[lowered]
    else:
        close = difflib.get_close_matches(lowered, [*choices, *aliases], n=1, cutoff=0.6)
        if not close:
            return ""
        match = aliases.get(close[0], close[0])
    return f"; did you mean {match!r}?"


class _Parser:
    """A one-pass scanner over the threshold text; `pos` is the next character to read."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def threshold(self) -> Threshold:
        self._skip_space()
        if self._at_end():
            raise ThresholdError(
                f"empty threshold; expected '<aggregation> <operator> <value>', {_EXAMPLE}",
                self.pos,
            )
        aggregation, percentile = self._aggregation()
        op = self._operator(
            aggregation if percentile is None else f"p({format_number(percentile)})"
        )
        value, unit = self._value(aggregation, op)
        self._skip_space()
        if not self._at_end():
            rest = self.text[self.pos :].rstrip()
            hint = (
                "; write one threshold per list item"
                if any(char in OPERATOR_CHARS for char in rest)
                else ""
            )
            raise ThresholdError(f"unexpected {rest!r} after the value{hint}", self.pos)
        return Threshold(
            text=self.text.strip(),
            aggregation=aggregation,
            percentile=percentile,
            op=op,
            value=value,
            unit=unit,
        )

    # -- tokens ---------------------------------------------------------------------

    def _aggregation(self) -> tuple[str, float | None]:
        start = self.pos
        name = self._take(lambda char: char.isascii() and (char.isalnum() or char == "_"))
        if not name:
            raise ThresholdError(
                f"expected an aggregation ({', '.join(AGGREGATIONS[:-1])} or p(N)),"
                f" found {self._found()}; {_EXAMPLE}",
                start,
            )
        if name == "p":
            return "p", self._percentile(start)
        if name in AGGREGATIONS:
            return name, None
        raise ThresholdError(f"unknown aggregation {name!r}{self._aggregation_hint(name)}", start)

    def _aggregation_hint(self, name: str) -> str:
        lowered = name.lower()
        digits = lowered.removeprefix("p")
        if lowered.startswith("p") and digits and all(map(is_digit, digits)):
            # `p95`, `p99.9`: the percentile without its parentheses.
            if self._peek() == "." and is_digit(self._peek(1)):
                self.pos += 1
                digits += "." + self._take(is_digit)
            return f"; did you mean 'p({digits})'?"
        if lowered in {"percentile", "pct"}:
            return "; did you mean 'p(95)'?"
        return _suggest(name, AGGREGATIONS[:-1], _AGGREGATION_ALIASES) or (
            f"; use one of {', '.join(AGGREGATIONS[:-1])} or p(N)"
        )

    def _percentile(self, start: int) -> float:
        self._skip_space()
        if self._peek() != "(":
            raise ThresholdError("'p' needs a percentile in parentheses, e.g. 'p(95)'", start)
        self.pos += 1
        self._skip_space()
        number_at = self.pos
        number = self._number()
        if number is None:
            raise ThresholdError(
                f"expected a percentile between 0 and 100 in 'p(...)', found {self._found()}",
                number_at,
            )
        if not 0 < number <= 100:
            raise ThresholdError(
                f"percentile {format_number(number)} is out of range; use 0 < N <= 100",
                number_at,
            )
        self._skip_space()
        if self._peek() != ")":
            raise ThresholdError(f"expected ')' after 'p({format_number(number)}'", self.pos)
        self.pos += 1
        return number

    def _operator(self, after: str) -> str:
        self._skip_space()
        start = self.pos
        written = self._take(lambda char: char in OPERATOR_CHARS)
        if written in OPERATORS:
            return written
        if not written:
            raise ThresholdError(
                f"expected an operator ({', '.join(OPERATORS)}) after {after!r},"
                f" found {self._found()}",
                start,
            )
        fix = _OPERATOR_FIXES.get(written)
        hint = f"; did you mean {fix!r}?" if fix else f"; use one of {', '.join(OPERATORS)}"
        raise ThresholdError(f"unknown operator {written!r}{hint}", start)

    def _value(self, aggregation: str, op: str) -> tuple[float | str, str | None]:
        self._skip_space()
        start = self.pos
        char = self._peek()
        if char in {"-", "+"}:
            problem = "cannot be negative" if char == "-" else "takes no '+' sign"
            raise ThresholdError(f"a threshold value {problem}", start)
        if char.isascii() and (char.isalpha() or char == "_"):
            return self._word(aggregation, op, start), None
        number = self._number()
        if number is None:
            raise ThresholdError(
                f"expected a number or a word after {op!r}, found {self._found()}", start
            )
        if number > MAX_THRESHOLD:
            raise ThresholdError(_TOO_LARGE, start)
        return self._unit(number, aggregation, start)

    def _word(self, aggregation: str, op: str, start: int) -> str:
        word = self._take(lambda char: char.isascii() and (char.isalnum() or char == "_"))
        if not word.replace("_", "").isalpha() or not word.islower():
            fix = word.lower()
            hint = f"; did you mean {fix!r}?" if fix.replace("_", "").isalpha() else ""
            raise ThresholdError(
                f"{word!r} is not a value: words are lower-case letters and '_'{hint}", start
            )
        if aggregation != "value":
            raise ThresholdError(
                f"a word ({word!r}) can only be compared as 'value == {word}'; {aggregation}"
                " needs a number",
                start,
            )
        if op not in {"==", "!="}:
            raise ThresholdError(
                f"a word ({word!r}) can only be compared with == or !=, not {op!r}", start
            )
        return word

    def _unit(self, number: float, aggregation: str, start: int) -> tuple[float, str | None]:
        self._skip_space()
        unit_at = self.pos
        unit = self._take(lambda char: char == "%" or (char.isascii() and char.isalpha()))
        if unit[:1] in {"e", "E"} and (is_digit(self._peek()) or self._peek() in {"-", "+"}):
            raise ThresholdError("write the number without an exponent", unit_at)
        if unit and unit not in UNITS:
            hint = _suggest(unit, UNITS, _UNIT_ALIASES) or f"; use one of {', '.join(UNITS)}"
            raise ThresholdError(f"unknown unit {unit!r}{hint}", unit_at)
        if not unit:
            if aggregation == "rate" and number > 1:
                raise ThresholdError(
                    f"a rate is a fraction from 0 to 1; did you mean '{format_number(number)}%'?",
                    start,
                )
            return number, None
        self._check_unit(aggregation, unit, unit_at)
        if unit == "%":
            converted = number / 100
            if aggregation == "rate" and converted > 1:
                raise ThresholdError("a rate cannot exceed 100%", start)
        else:
            converted = to_seconds(number, unit)
        return converted, unit

    @staticmethod
    def _check_unit(aggregation: str, unit: str, unit_at: int) -> None:
        if aggregation == "count":
            raise ThresholdError(f"a count takes no unit; drop {unit!r}", unit_at)
        if aggregation == "rate" and unit != "%":
            raise ThresholdError(
                f"a rate is a fraction, not a duration; drop {unit!r} (or use %)", unit_at
            )
        if aggregation in _DURATION_AGGREGATIONS and unit == "%":
            name = "p(N)" if aggregation == "p" else aggregation
            raise ThresholdError(f"{name} is a duration; use ms, s or m, not '%'", unit_at)

    def _number(self) -> float | None:
        start = self.pos
        whole = self._take(is_digit)
        fraction = ""
        if self._peek() == "." and is_digit(self._peek(1)):
            self.pos += 1
            fraction = self._take(is_digit)
        if not whole and not fraction:
            self.pos = start
            return None
        return float(f"{whole or '0'}.{fraction or '0'}")

    # -- characters -----------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> str:
        """The character `ahead` past the position, or '' past the end."""
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def _take(self, accept: Callable[[str], bool]) -> str:
        start = self.pos
        while self.pos < len(self.text) and accept(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def _skip_space(self) -> None:
        self._take(str.isspace)

    def _at_end(self) -> bool:
        return self.pos >= len(self.text)

    def _found(self) -> str:
        """What stands at the position, for messages: `'xyz'` or `the end`."""
        if self._at_end():
            return "the end"
        rest = self.text[self.pos :].split(maxsplit=1)
        return repr(rest[0] if rest else self.text[self.pos])

"""The scanner behind `parse_threshold`: one pass over the text, one message per mistake."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Final

from resilience_cli.limits import MAX_THRESHOLD
from resilience_cli.scenarios.durations import is_digit, to_seconds
from resilience_cli.scenarios.thresholds._value import (
    AGGREGATIONS,
    OPERATOR_CHARS,
    OPERATORS,
    TOO_LARGE,
    UNITS,
    Threshold,
    ThresholdError,
    format_number,
)

if TYPE_CHECKING:
    from collections.abc import Callable

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


class Scanner:
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
        reference = isinstance(value, str) and "." in value
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
            reference=reference,
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
            raise ThresholdError(TOO_LARGE, start)
        return self._unit(number, aggregation, start)

    def _word(self, aggregation: str, op: str, start: int) -> str:
        word = self._take(lambda char: char.isascii() and (char.isalnum() or char in "_."))
        if "." in word:
            return self._reference(word, aggregation, start)
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

    @staticmethod
    def _reference(word: str, aggregation: str, start: int) -> str:
        """Another metric's name as the value: `value < preset.pybreaker.let_through`."""
        if aggregation != "value":
            raise ThresholdError(
                f"another metric ({word!r}) can only be compared as 'value <op> {word}'", start
            )
        if word != word.lower() or word.startswith(".") or word.endswith(".") or ".." in word:
            raise ThresholdError(f"{word!r} is not a metric name", start)
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

"""A parsed threshold as a value: its parts, its canonical spelling, and its error."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_THRESHOLD
from resilience_cli.scenarios.durations import UNITS as DURATION_UNITS
from resilience_cli.scenarios.durations import in_unit

AGGREGATIONS: Final = ("count", "rate", "value", "avg", "min", "med", "max", "p")
OPERATORS: Final = ("<", "<=", ">", ">=", "==", "!=")
UNITS: Final = (*DURATION_UNITS, "%")
# A text with one of these is a threshold (`count >= 10`); a scalar without means equality.
OPERATOR_CHARS: Final = "<>=!"
TOO_LARGE: Final = f"the number is too large; expectations compare numbers up to {MAX_THRESHOLD:,}"


class ThresholdError(UsageError):
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
        reference: `value` names another metric of the step (`value <
            preset.pybreaker.let_through`): the threshold compares the two.
    """

    text: str
    aggregation: str
    percentile: float | None
    op: str
    value: float | str
    unit: str | None
    reference: bool = False

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

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
milliseconds, as in k6; elsewhere it is the metric's own number. `metrics` decides.

Units that cannot fit the aggregation are refused here already: a count has no unit, a
rate is a fraction (`%` or none, at most 1), and latency aggregations take durations.

The value is `Threshold` (`_value`); the scanner that reads the text is `_scanner`.
"""

from __future__ import annotations

import math

from resilience_cli.limits import MAX_THRESHOLD
from resilience_cli.scenarios.thresholds._scanner import Scanner
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

__all__ = [
    "AGGREGATIONS",
    "OPERATORS",
    "OPERATOR_CHARS",
    "UNITS",
    "Threshold",
    "ThresholdError",
    "equality",
    "format_number",
    "parse_threshold",
]


def parse_threshold(text: str) -> Threshold:
    """Parse `<aggregation> <operator> <value>` into a `Threshold`.

    Args:
        text: The threshold as written, for example `p(95) < 300ms` or `value == open`.

    Returns:
        The threshold, with `value` converted (durations in seconds, `%` as a fraction).

    Raises:
        ThresholdError: The text does not fit the grammar; the message says where and why.
    """
    return Scanner(text).threshold()


def equality(value: str | float) -> Threshold:
    """The threshold a bare scalar expectation stands for: `value == <value>`.

    `breaker.state: open` and `calls: 20` in a scenario file mean equality. On a Counter,
    `value` is its count (see `metrics`).

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
            raise ThresholdError(TOO_LARGE, 0)
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

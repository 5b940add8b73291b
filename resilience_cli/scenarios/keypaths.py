"""Key paths (`steps[2].invoke.count`), and the problems of meaning found at them.

A check of meaning (a threshold's grammar, a metric a step does not measure, a merged
policy out of range) knows where it looked as a key path, in the same shape as pydantic's
`loc`; the loader then places it at a line and column of the file, as a `Problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

Loc: TypeAlias = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """A key path as users read it: `steps[2].invoke.count`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


@dataclass(frozen=True, slots=True)
class MeaningProblem:
    """A problem of meaning: where it is (a pydantic-style `loc`) and what is wrong.

    `at_key` points at the key rather than its value (an unknown metric). `column`, for a
    threshold, is the 0-based offset of the problem in the threshold's text.
    """

    loc: Loc
    message: str
    at_key: bool = False
    column: int | None = None

    def __str__(self) -> str:
        return f"{format_loc(self.loc)}: {self.message}"

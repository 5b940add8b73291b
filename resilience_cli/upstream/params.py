"""The upstream's path and query parameters, parsed strictly: anything else is a 400.

Why strict: Python's `float()` and `int()` take more than a URL should mean. They accept
Unicode digits (`/delay/٣` slept 3 s), underscores (`1_0`), spaces and signs, turn
`1e400` into infinity, and raise on 4,300 digits. Numbers here are ASCII, bounded and
finite, or the client gets one line saying what was wanted.
"""

from __future__ import annotations

import math
import re
from typing import Final, TypeVar

__all__ = [
    "MAX_RETRY_AFTER",
    "BadRequestError",
    "choose",
    "parse_failure_rate",
    "parse_retry_after",
    "parse_seconds",
    "parse_seed",
    "parse_status_choices",
]

_T = TypeVar("_T")

MAX_RETRY_AFTER: Final = 86_400
"""Seconds: a day, the longest wait a demo can mean (and an HTTP-date can hold)."""
_SEED_BOUNDS: Final = (-(2**63), 2**63 - 1)  # go-httpbin's int64

# Plain decimals, as a URL writes them: 3, 0.25, .5, 1e-3. No sign, no `_`, no Unicode.
_DECIMAL: Final = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_WHOLE: Final = re.compile(r"[0-9]{1,12}")
_SEED: Final = re.compile(r"-?[0-9]{1,19}")
_STATUS: Final = re.compile(r"[0-9]{3}")
_SHOWN: Final = 40  # characters of a bad value quoted back: one line, not a 5,000-digit echo


class BadRequestError(Exception):
    """A parameter cannot be used; the message is the one line the client sees."""


def parse_seconds(raw: str, what: str) -> float:
    """Finite seconds >= 0, such as `3` or `0.25`."""
    seconds = _decimal(raw)
    if seconds is None or not math.isfinite(seconds):
        raise BadRequestError(f"invalid {what} {_shown(raw)}: want finite seconds >= 0, e.g. 0.25")
    return seconds


def parse_retry_after(raw: str) -> int:
    """Whole seconds from 0 to a day."""
    if _WHOLE.fullmatch(raw) is None or int(raw) > MAX_RETRY_AFTER:
        raise BadRequestError(
            f"invalid retry-after {_shown(raw)}: want whole seconds from 0 to {MAX_RETRY_AFTER}"
        )
    return int(raw)


def parse_status_choices(raw: str) -> tuple[list[int], list[float]]:
    """`500` or `200:0.7,500:0.3` (or `200,500`, equal weights) -> codes and weights."""
    codes: list[int] = []
    weights: list[float] = []
    for item in raw.split(","):
        code_text, colon, weight_text = item.partition(":")
        if _STATUS.fullmatch(code_text) is None:
            raise BadRequestError(f"invalid status code {_shown(code_text)}: want 200 to 599")
        code = int(code_text)
        if not 200 <= code <= 599:
            raise BadRequestError(f"invalid status code {code}: want 200 to 599")
        weight = _decimal(weight_text) if colon else 1.0
        if weight is None or not math.isfinite(weight):
            raise BadRequestError(f"invalid weight {_shown(weight_text)} for status {code}")
        codes.append(code)
        weights.append(weight)
    total = sum(weights)
    if not (math.isfinite(total) and total > 0):
        raise BadRequestError(
            f"invalid status choice {_shown(raw)}: the weights must sum to a finite number above 0"
        )
    return codes, weights


def parse_failure_rate(raw: str) -> float:
    """A probability from 0 to 1."""
    rate = _decimal(raw)
    if rate is None or not 0 <= rate <= 1:
        raise BadRequestError(f"invalid failure_rate {_shown(raw)}: want a number from 0 to 1")
    return rate


def parse_seed(raw: str) -> int:
    """A 64-bit signed integer, as go-httpbin takes it."""
    low, high = _SEED_BOUNDS
    if _SEED.fullmatch(raw) is None or not low <= int(raw) <= high:
        raise BadRequestError(f"invalid seed {_shown(raw)}: want a 64-bit integer")
    return int(raw)


def choose(raw: str, choices: dict[str, _T], name: str) -> _T:
    """The value `raw` names among `choices`."""
    try:
        return choices[raw]
    except KeyError:
        allowed = " or ".join(choices)
        raise BadRequestError(f"invalid {name} {_shown(raw)}: want {allowed}") from None


def _shown(raw: str) -> str:
    """`raw` quoted for an error line, cut short if it is long."""
    return repr(raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "...")


def _decimal(raw: str) -> float | None:
    """A plain ASCII decimal as a float (maybe infinite, for the caller to refuse), or None."""
    return float(raw) if _DECIMAL.fullmatch(raw) is not None else None

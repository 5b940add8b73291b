"""What a run asks for: the weighted mix of requests `invoke` draws from, and statuses.

Shared by the command line (`--mix`, `--status`) and scenario files (`invoke: {mix: ...}`,
`error: {status: ...}`), so both accept and refuse exactly the same text.

The `--mix` grammar::

    mix    = item ("," item)*
    item   = path [":" weight]          ; the weight follows the item's last ':'
    path   = "/" ...                    ; a comma before a digit goes on with the path

A comma followed by `/` starts a new item, so httpbin's status lists fit in a path:
`/get:1,/status/200,500:1` is `/get` and `/status/200,500`, each weighing 1. Because
the weight is whatever follows the last colon, a weighted status list takes a weight of
its own: `/status/200:0.7,500:0.3:1`.

A status is `500`, a list `200,500` (the upstream picks one, equally likely) or a
weighted list `200:0.7,500:0.3`, as httpbin and the embedded upstream read them.
"""

from __future__ import annotations

import contextlib
import math
from typing import Final

from resilience_cli.limits import MAX_WEIGHT
from resilience_cli.request import Request

DEFAULT_MIX: Final = "/get:0.6,/delay/3:0.2,/status/500:0.2"
LOWEST_STATUS: Final = 200  # 1xx are not final answers: the upstream refuses them (400)
HIGHEST_STATUS: Final = 599


def parse_mix(text: str) -> tuple[Request, ...]:
    """`/get:0.6,/status/500:0.4` -> weighted GET requests; a bare path weighs 1.

    Raises ValueError with a one-line message naming the bad item.
    """
    mix: list[Request] = []
    for item in _items(text):
        path, _, weight_text = item.rpartition(":") if ":" in item else (item, "", "1")
        weight = _number(weight_text, f"of {path!r}")
        if not path.startswith("/") or not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"{item!r} must be /path:weight with a weight > 0")
        _check_size(weight, weight_text, f"of {path!r}")
        mix.append(Request(path, weight=weight))
    if not mix:
        raise ValueError("must list at least one /path:weight")
    return tuple(mix)


def status_mix(status: str | int) -> tuple[Request, ...]:
    """The one request of `error`: `/status/{status}`, a code or a choice of codes.

    Built directly, not through `parse_mix`: in a mix, `200:0.7,500:0.3` would lose its
    last weight to the item.

    Raises ValueError, as `parse_status` does.
    """
    return (Request(f"/status/{parse_status(status)}"),)


def delay_mix(seconds: float) -> tuple[Request, ...]:
    """The one request of `delay`: `/delay/{seconds}`."""
    return (Request(f"/delay/{seconds:g}"),)


def parse_status(value: str | int) -> str:
    """A status, list or weighted list (`500`, `200,500`, `200:0.7,500:0.3`), tidied.

    Raises ValueError with a one-line message naming the bad part.
    """
    if isinstance(value, int):
        return str(_status_code(value))
    choices = [choice.strip() for choice in value.split(",")]
    total = 0.0
    for choice in choices:
        code_text, colon, weight_text = choice.partition(":")
        if not (code_text.isascii() and code_text.isdigit() and len(code_text) <= 3):
            raise ValueError(f"{choice!r} is not a status such as 500 or 200:0.7")
        try:
            _status_code(int(code_text))
        except ValueError as exc:
            raise ValueError(f"status {code_text} {exc}") from None
        total += _weight(weight_text, f"of status {code_text}") if colon else 1.0
    if total <= 0:
        raise ValueError("the weights of the statuses add up to 0")
    return ",".join(choices)


def _items(text: str) -> list[str]:
    """Split at the commas that start a new item: those not followed by a digit."""
    items: list[str] = []
    for piece in (part.strip() for part in text.split(",")):
        if not piece:
            continue
        if items and "0" <= piece[0] <= "9":
            items[-1] += f",{piece}"  # /status/200,500: one path
        else:
            items.append(piece)
    return items


def _status_code(code: int) -> int:
    if code > HIGHEST_STATUS:
        raise ValueError(f"must be <= {HIGHEST_STATUS}")
    if code < LOWEST_STATUS:
        informational = " (a 1xx status is not a final answer)" if code >= 100 else ""
        raise ValueError(f"must be >= {LOWEST_STATUS}{informational}")
    return code


def _number(text: str, of: str) -> float:
    # ASCII only: float() also reads the digits of other scripts, which a reader won't.
    if text.isascii():
        with contextlib.suppress(ValueError):
            return float(text)
    raise ValueError(f"weight {text!r} {of} is not a number")


def _check_size(weight: float, text: str, of: str) -> None:
    if weight > MAX_WEIGHT:  # a total of weights must stay finite
        raise ValueError(f"weight {text!r} {of} is too large; at most {MAX_WEIGHT:,.0f}")


def _weight(text: str, of: str) -> float:
    """A status's weight: a finite number from 0 to `MAX_WEIGHT`."""
    weight = _number(text, of)
    if not (math.isfinite(weight) and weight >= 0):
        raise ValueError(f"weight {text!r} {of} must be a number >= 0")
    _check_size(weight, text, of)
    return weight

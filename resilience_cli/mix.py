"""What a run asks for: endpoints, and the weighted mix `invoke` draws them from.

Shared by the command line (`--mix`) and scenario files (`invoke: {mix: ...}`), so both
accept and refuse exactly the same text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

DEFAULT_MIX: Final = "/get:0.6,/delay/3:0.2,/status/500:0.2"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One kind of request a run sends: `label` names its row in reports."""

    label: str
    method: str
    path: str


def parse_mix(text: str) -> tuple[tuple[Endpoint, float], ...]:
    """`/get:0.6,/status/500:0.4` -> weighted GET endpoints; a bare path weighs 1.

    Raises ValueError with a one-line message naming the bad item.
    """
    mix: list[tuple[Endpoint, float]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        path, _, weight_text = item.rpartition(":") if ":" in item else (item, "", "1")
        try:
            weight = float(weight_text)
        except ValueError:
            raise ValueError(f"weight {weight_text!r} of {path!r} is not a number") from None
        if not path.startswith("/") or not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"{item!r} must be /path:weight with a weight > 0")
        mix.append((Endpoint(path, "GET", path), weight))
    if not mix:
        raise ValueError("must list at least one /path:weight")
    return tuple(mix)

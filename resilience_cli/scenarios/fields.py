"""The value types of scenario files: frozen models, strict scalars, and durations.

Strict, because YAML is generous: `'5'` is a text and `true` a yes/no value, and neither
should quietly become the number 5 or 1. The strict scalars are pydantic's own
(`StrictInt`, `StrictFloat`, `StrictBool`, `StrictStr`); `Seconds` is ours: a number of
seconds or a text such as `300ms` (`durations.py`).
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from resilience_cli.limits import MAX_SECONDS
from resilience_cli.scenarios.durations import PATTERN, parse_seconds

_DURATION_SCHEMA: Final = {
    "anyOf": [
        {"type": "number", "maximum": MAX_SECONDS},
        {"type": "string", "pattern": PATTERN},
    ]
}

Seconds = Annotated[float, BeforeValidator(parse_seconds), WithJsonSchema(_DURATION_SCHEMA)]


class FrozenModel(BaseModel):
    """Frozen values; an unknown key is an error; no NaN or infinity sneaks in."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

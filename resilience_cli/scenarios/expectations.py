"""Expectations: the thresholds under a step's `expect:`, as written and as parsed.

`expect:` maps a metric to one threshold or a list of them. A threshold is the k6-style
text `<aggregation> <operator> <value>` (`thresholds.py` parses it), or a bare value that
means `value == it`, alone or in a mapping with `strict` and `abort_on_fail`. Whether a
metric exists for the step's kind, and takes that threshold, is a question of meaning
(`meaning.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import BeforeValidator, Field, PlainValidator, StrictBool, model_validator

from resilience_cli.scenarios.fields import FrozenModel
from resilience_cli.scenarios.thresholds import (
    OPERATOR_CHARS,
    equality,
    format_number,
    parse_threshold,
)

if TYPE_CHECKING:
    from resilience_cli.scenarios.thresholds import Threshold


def _threshold_text(value: object) -> str | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError("must be a threshold like 'p(95) < 300ms', or a value like open or 3")


ThresholdText = Annotated[
    str | float | bool,
    PlainValidator(_threshold_text, json_schema_input_type=str | float | bool),
]


class ThresholdSpec(FrozenModel):
    """One expectation on a metric: `p(95) < 300ms`, or a bare value meaning `value == it`."""

    threshold: ThresholdText = Field(
        description=(
            "`<aggregation> <operator> <value>` (k6 style), e.g. 'p(95) < 300ms' or"
            " 'count >= 10'; a bare value such as open or 20 means 'value == open'."
        )
    )
    strict: StrictBool = Field(
        default=True, description="false: report a failure but do not fail the run."
    )
    abort_on_fail: StrictBool = Field(
        default=False, description="true: stop the scenario (then run finally) when it fails."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if isinstance(data, str | int | float | bool):
            return {"threshold": data}
        if isinstance(data, dict):
            return data
        raise ValueError(
            "must be a threshold like 'p(95) < 300ms', or a mapping with threshold, strict"
            " and abort_on_fail"
        )

    def parsed(self) -> Threshold:
        """The threshold this stands for.

        Raises:
            ThresholdError: The text does not parse; `column` is 0-based within it.
        """
        value = self.threshold
        if isinstance(value, str) and any(char in OPERATOR_CHARS for char in value):
            return parse_threshold(value)
        return equality(value)

    @property
    def source(self) -> str:
        """The threshold as the file spells it."""
        value = self.threshold
        if isinstance(value, bool):
            return str(value).lower()
        return value.strip() if isinstance(value, str) else format_number(value)


def _as_list(value: object) -> object:
    """A single threshold means a list of one."""
    return value if isinstance(value, list | tuple) else [value]


Thresholds = Annotated[
    tuple[ThresholdSpec, ...],
    BeforeValidator(
        _as_list,
        json_schema_input_type=str
        | float
        | bool
        | ThresholdSpec
        | list[str | float | bool | ThresholdSpec],
    ),
    Field(min_length=1),
]


@dataclass(frozen=True, slots=True)
class Expectation:
    """One threshold on one metric of a step, parsed; `source` is the threshold as written."""

    metric: str
    threshold: Threshold
    strict: bool
    abort_on_fail: bool
    source: str

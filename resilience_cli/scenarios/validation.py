"""Validation in two passes, the loader's one way in: structure first, then meaning.

1. *Structure*: types, counts, durations, unknown keys, one kind per step: pydantic's own
   field validation, run with `STRUCTURE_ONLY` so that it stops short of meaning.
2. *Meaning*: `meaning.py` on the scenario, or, when the structure is broken,
   `salvage.py` on its sound parts.

Both passes always run, so one `resilience validate` reports every problem it can find.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from resilience_cli.scenarios.meaning import scenario_problems
from resilience_cli.scenarios.model import STRUCTURE_ONLY, Scenario
from resilience_cli.scenarios.salvage import partial_problems

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic_core import ErrorDetails

    from resilience_cli.scenarios.keypaths import MeaningProblem


@dataclass(frozen=True, slots=True)
class Validation:
    """What the two passes found: the scenario, if its structure holds, and every problem."""

    scenario: Scenario | None
    structure: tuple[ErrorDetails, ...]
    meaning: tuple[MeaningProblem, ...]


def validate(data: Mapping[str, object]) -> Validation:
    """Check `data` (a YAML mapping) in structure, then in meaning."""
    try:
        scenario = Scenario.model_validate(data, context=STRUCTURE_ONLY)
    except ValidationError as exc:
        errors = tuple(exc.errors(include_url=False))
        return Validation(None, errors, tuple(partial_problems(data)))
    return Validation(scenario, (), tuple(scenario_problems(scenario)))

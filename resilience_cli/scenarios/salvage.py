"""The checks of meaning on the sound parts of a file whose structure is broken.

When the structure fails there is no `Scenario` to check, but its sound parts are still
worth checking, so that one pass of the loader reports as much as it can:
`defaults.policies`, and each step's `policies` and `expect` on their own, each on a
stand-in step of the same kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from resilience_cli.scenarios.meaning import (
    DEFAULTS_LOC,
    config_errors,
    policy_problems,
    step_problems,
    unique,
)
from resilience_cli.scenarios.model import STRUCTURE_ONLY, Step
from resilience_cli.scenarios.policies import PolicyOverrides
from resilience_cli.scenarios.steps import KINDS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.scenarios.keypaths import Loc, MeaningProblem


def partial_problems(data: Mapping[str, object]) -> list[MeaningProblem]:
    """The problems of meaning in the parts of a scenario whose structure is valid."""
    raw_defaults = data.get("defaults")
    raw_policies = raw_defaults.get("policies", {}) if isinstance(raw_defaults, dict) else {}
    defaults = _valid_policies(raw_policies)
    problems = [] if defaults is None else policy_problems([(DEFAULTS_LOC, defaults)])
    for section in ("steps", "finally"):
        raw_steps = data.get(section)
        for index, raw in enumerate(raw_steps if isinstance(raw_steps, list) else []):
            problems += _partial_step_problems(raw, (section, index), defaults)
    return unique(problems)


def _partial_step_problems(
    raw: object, loc: Loc, defaults: PolicyOverrides | None
) -> list[MeaningProblem]:
    """Check a step's `expect` and `policies` each on a stand-in step of the same kind."""
    if not isinstance(raw, dict):
        return []
    kinds = [kind for kind in KINDS if kind in raw]
    if len(kinds) != 1:
        return []
    stand_in: dict[str, object] = {kinds[0]: {"seconds": 0} if kinds[0] == "pause" else {}}
    problems: list[MeaningProblem] = []
    for part in ("expect", "policies"):
        if part not in raw:
            continue
        try:
            step = Step.model_validate({**stand_in, part: raw[part]}, context=STRUCTURE_ONLY)
        except ValidationError:
            continue
        problems += step_problems(step, loc)
        if part == "policies" and defaults is not None:
            layers = [(DEFAULTS_LOC, defaults), ((*loc, "policies"), step.policies)]
            problems += policy_problems(layers, known=config_errors(defaults))
    return problems


def _valid_policies(raw: object) -> PolicyOverrides | None:
    try:
        return PolicyOverrides.model_validate(raw, context=STRUCTURE_ONLY)
    except ValidationError:
        return None

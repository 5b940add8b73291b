"""Scenario files: load, validate, run, and judge them.

YAML demos and CI smoke jobs written as the class one-liners, with k6-style expectations.
`model.py`'s notes map the package's modules, one job each.
"""

from resilience_cli.scenarios.durations import parse_seconds
from resilience_cli.scenarios.expectations import Expectation, ThresholdSpec
from resilience_cli.scenarios.loader import Problem, ScenarioError, load_scenario, parse_scenario
from resilience_cli.scenarios.model import Defaults, Scenario, Step
from resilience_cli.scenarios.policies import PATTERN_MODELS, PolicyOverrides, resolve_policies
from resilience_cli.scenarios.schema import scenario_json_schema
from resilience_cli.scenarios.steps import (
    DelaySettings,
    ErrorSettings,
    ForceOpenSettings,
    InvokeSettings,
    PauseSettings,
    ResetSettings,
    StateSettings,
    StepSettings,
)

# The policy models are made from the settings table; these names are for reading code.
BulkheadPolicy = PATTERN_MODELS["bulkhead"]
TimeoutPolicy = PATTERN_MODELS["timeout"]
RetryPolicy = PATTERN_MODELS["retry"]
RateLimiterPolicy = PATTERN_MODELS["rate_limiter"]
BreakerPolicy = PATTERN_MODELS["breaker"]

__all__ = [
    "BreakerPolicy",
    "BulkheadPolicy",
    "Defaults",
    "DelaySettings",
    "ErrorSettings",
    "Expectation",
    "ForceOpenSettings",
    "InvokeSettings",
    "PauseSettings",
    "PolicyOverrides",
    "Problem",
    "RateLimiterPolicy",
    "ResetSettings",
    "RetryPolicy",
    "Scenario",
    "ScenarioError",
    "StateSettings",
    "Step",
    "StepSettings",
    "ThresholdSpec",
    "TimeoutPolicy",
    "load_scenario",
    "parse_scenario",
    "parse_seconds",
    "resolve_policies",
    "scenario_json_schema",
]

"""The checks of meaning: what needs more than one field of a valid structure at once.

- a step's thresholds parse, name a metric its kind measures, and fit that metric
  (`thresholds.py`, `metrics.py`);
- `policies:` appears on call and stress steps only; a stress step's windows fall in
  its run;
- each step's policies, merged over `defaults.policies`, are in range: checked by building
  the patterns' configs with the one builder the flags use too (`settings.build_policies`),
  so the ranges live in one place, and each refusal points at the layer that set the key;
- step names are unique, for reports, and so are the names of `requests:`; an invoke
  step's `requests` name entries of `requests:`, and it has no `mix` beside them.

Each check returns `MeaningProblem`s, in file order, whose `loc` has pydantic's shape, so
the loader reports them with their lines next to the structural problems.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from resilience_cli.errors import ConfigError
from resilience_cli.scenarios.keypaths import Loc, MeaningProblem, format_loc
from resilience_cli.scenarios.metrics import check_pairing, known_metric, split_window
from resilience_cli.scenarios.policies import merged
from resilience_cli.scenarios.thresholds import ThresholdError
from resilience_cli.settings import build_policies

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.scenarios.model import Scenario, Step
    from resilience_cli.scenarios.policies import PolicyLayer

DEFAULTS_LOC: Final = ("defaults", "policies")


def step_problems(step: Step, loc: Loc = ()) -> list[MeaningProblem]:
    """The problems of meaning in one step: thresholds, metrics, misplaced policies.

    Args:
        step: A step whose structure is valid.
        loc: Where the step is, e.g. `("steps", 2)`.

    Returns:
        Every problem found, in file order.
    """
    problems: list[MeaningProblem] = []
    if "policies" in step.model_fields_set and not step.takes_policies:
        problems.append(
            MeaningProblem(
                (*loc, "policies"),
                "policies apply to call and stress steps only (invoke, delay, error,"
                f" stress), not {step.kind}",
                at_key=True,
            )
        )
    for metric, specs in step.expect.items():
        where = (*loc, "expect", metric)
        unknown = known_metric(
            metric,
            call_step=step.takes_policies,
            compare_step=step.kind == "compare",
            stress_step=step.kind == "stress",
        )
        if unknown is None:
            unknown = _window_problem(step, metric)
        if unknown is not None:
            problems.append(MeaningProblem(where, unknown, at_key=True))
        for index, spec in enumerate(specs):
            try:
                threshold = spec.parsed()
            except ThresholdError as exc:
                problems.append(
                    MeaningProblem((*where, index, "threshold"), str(exc), column=exc.column)
                )
                continue
            mismatch = None if unknown is not None else check_pairing(metric, threshold)
            if mismatch is not None:
                problems.append(MeaningProblem((*where, index, "threshold"), mismatch))
    return problems


def _window_problem(step: Step, metric: str) -> str | None:
    """A stress step's window that misses its run: after the arrivals end, or longer."""
    settings = step.stress
    _, spec = split_window(metric)
    if settings is None or spec is None:
        return None
    duration = settings.profile().duration
    if spec.last is not None and spec.last > duration:
        return f"{metric!r}: the arrivals last {duration:g}s, less than {spec}"
    if spec.start is not None and spec.start >= duration:
        return f"{metric!r} starts after the arrivals end, at {duration:g}s"
    return None


def scenario_problems(scenario: Scenario) -> list[MeaningProblem]:
    """Every problem of meaning in a scenario whose structure is valid, in file order."""
    defaults = scenario.defaults.policies
    problems = policy_problems([(DEFAULTS_LOC, defaults)])
    known = config_errors(defaults)
    names: dict[str, Loc] = {}
    for loc, step in scenario.sections():
        problems += step_problems(step, loc)
        layers = [(DEFAULTS_LOC, defaults), ((*loc, "policies"), step.policies)]
        problems += policy_problems(layers, known=known)
        if step.name in names:
            problems.append(
                MeaningProblem(
                    (*loc, "name"),
                    f"name {step.name!r} is already used by {format_loc(names[step.name])};"
                    " reports need unique names",
                )
            )
        names.setdefault(step.name, loc)
        problems += _request_problems(scenario, step, loc)
        if step.kind == "faults" and scenario.proxied is None:
            problems.append(
                MeaningProblem(
                    (*loc, "faults"),
                    "a faults step changes the scenario's proxy: give the file"
                    " `target: {proxy: embedded}` (or {proxy: http://...})",
                    at_key=True,
                )
            )
    problems += _request_name_problems(scenario)
    return unique(problems)


def _request_name_problems(scenario: Scenario) -> list[MeaningProblem]:
    problems: list[MeaningProblem] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(scenario.requests):
        if spec.name in seen:
            problems.append(
                MeaningProblem(
                    ("requests", index, "name"),
                    f"name {spec.name!r} is already used by requests[{seen[spec.name]}];"
                    " reports need unique names",
                )
            )
        seen.setdefault(spec.name, index)
    return problems


def _request_problems(scenario: Scenario, step: Step, loc: Loc) -> list[MeaningProblem]:
    settings = getattr(step, "invoke", None)
    chosen = getattr(settings, "requests", None)
    if settings is None or chosen is None:
        return []
    problems: list[MeaningProblem] = []
    if "mix" in settings.model_fields_set:
        problems.append(
            MeaningProblem(
                (*loc, "invoke", "requests"), "give mix or requests, not both", at_key=True
            )
        )
    known = {spec.name for spec in scenario.requests}
    for index, name in enumerate(chosen):
        if name not in known:
            listed = ", ".join(repr(n) for n in sorted(known)) or "none: the file has no requests:"
            problems.append(
                MeaningProblem(
                    (*loc, "invoke", "requests", index),
                    f"{name!r} is not one of the file's requests ({listed})",
                )
            )
    return problems


def unique(problems: Sequence[MeaningProblem]) -> list[MeaningProblem]:
    """Drop repeats: a bad default shows up once, not once per step."""
    return list(dict.fromkeys(problems))


def policy_problems(
    layers: Sequence[tuple[Loc, PolicyLayer]], *, known: frozenset[str] = frozenset()
) -> list[MeaningProblem]:
    """One problem per pattern whose merged configuration is out of range.

    `known` holds the errors `defaults.policies` alone has; a step that does not set the
    key in question inherits them, and they are reported once, at the defaults.
    """
    return [
        _locate_config_error(error, layers)
        for error in _config_errors([layer for _, layer in layers])
        if str(error) not in known or _sets(layers[-1][1], error.field)
    ]


def config_errors(defaults: PolicyLayer) -> frozenset[str]:
    """The errors `defaults.policies` has on its own, as texts."""
    return frozenset(str(error) for error in _config_errors([defaults]))


def _config_errors(layers: Sequence[PolicyLayer]) -> list[ConfigError]:
    errors = []
    for name, keys in merged(layers).items():
        if keys is None:
            continue
        try:
            build_policies({name: keys.model_dump()})
        except ConfigError as exc:
            errors.append(exc)
    return errors


def _sets(layer: PolicyLayer, field: str) -> bool:
    """Whether `layer` sets the key `field` (`breaker.open_for`) itself."""
    pattern, _, key = field.partition(".")
    given = getattr(layer, pattern) if pattern in layer.model_fields_set else None
    return given is not None and key in given.model_fields_set


def _locate_config_error(
    exc: ConfigError, layers: Sequence[tuple[Loc, PolicyLayer]]
) -> MeaningProblem:
    """Point at the layer that set the bad key, else at the innermost that set its pattern."""
    pattern, _, key = exc.field.partition(".")
    # The config classes say "(or off)"; in a scenario file, off is spelt null.
    message = str(exc).removeprefix(f"{exc.field}: ").replace("(or off)", "(or null: off)")
    touching = [
        (prefix, getattr(layer, pattern))
        for prefix, layer in layers
        if pattern in layer.model_fields_set and getattr(layer, pattern) is not None
    ]
    innermost = touching[-1][0] if touching else None
    for prefix, given in reversed(touching):
        if key in given.model_fields_set:
            if innermost is not None and prefix != innermost:
                message += f" (merged with {format_loc((*innermost, pattern))})"
            return MeaningProblem((*prefix, pattern, key), message)
    # No layer set the key: it kept its default, which another key now contradicts.
    where = layers[-1][0] if innermost is None else innermost
    return MeaningProblem((*where, pattern), f"{key} {message} (its default)")

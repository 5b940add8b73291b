from __future__ import annotations

import dataclasses
import inspect
import re

import pytest
import yaml
from pydantic import ValidationError

from resilience_cli.cli.breaker import force_open
from resilience_cli.cli.calls import DEFAULT_MIX as CLI_MIX
from resilience_cli.cli.options import FLAG_OF, CallOptions, call_parameters
from resilience_cli.mix import DEFAULT_MIX
from resilience_cli.patterns import (
    BreakerConfig,
    BulkheadConfig,
    Policies,
    RateLimiterConfig,
    RetryConfig,
    TimeoutConfig,
)
from resilience_cli.scenarios import (
    BreakerPolicy,
    BulkheadPolicy,
    DelaySettings,
    ErrorSettings,
    ForceOpenSettings,
    InvokeSettings,
    PauseSettings,
    PolicyOverrides,
    RateLimiterPolicy,
    ResetSettings,
    RetryPolicy,
    Scenario,
    StateSettings,
    Step,
    ThresholdSpec,
    TimeoutPolicy,
    parse_scenario,
    parse_seconds,
    resolve_policies,
    scenario_json_schema,
)
from resilience_cli.scenarios.schema import keys_at
from resilience_cli.scenarios.thresholds import equality, parse_threshold


def scenario(*steps: object, defaults: object = None) -> Scenario:
    data: dict[str, object] = {"version": 1, "title": "t", "steps": list(steps)}
    if defaults is not None:
        data["defaults"] = defaults
    return Scenario.model_validate(data)


# -- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (2, 2.0),
        (0, 0.0),
        (1.5, 1.5),
        ("30", 30.0),
        ("2s", 2.0),
        ("300ms", 0.3),
        ("1.5m", 90.0),
        (".5s", 0.5),
        (" 2 s ", 2.0),
        (-1, -1.0),
    ],
)
def test_durations_read_numbers_and_suffixed_texts(value: object, seconds: float) -> None:
    """A duration is a number of seconds or a text with ms, s or m; 300ms equals 0.3s."""
    assert parse_seconds(value) == seconds


@pytest.mark.parametrize(
    "value", [True, None, [], "fast", "2h", "-1s", "1e3", "2 seconds", float("inf"), "ms"]
)
def test_durations_refuse_anything_else(value: object) -> None:
    """Yes/no values, nulls, lists, other units and infinities are not durations."""
    with pytest.raises(ValueError, match=r"^must be a number of seconds like 2 or 300ms$"):
        parse_seconds(value)


# -- steps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "settings"),
    [
        ({"invoke": {}}, "invoke", InvokeSettings(count=10, mix=DEFAULT_MIX)),
        ({"invoke": None}, "invoke", InvokeSettings()),
        ({"delay": {}}, "delay", DelaySettings(count=8, seconds=3.0)),
        ({"error": None}, "error", ErrorSettings(count=20, status=500)),
        ({"pause": "30s"}, "pause", PauseSettings(seconds=30.0)),
        ({"pause": 2}, "pause", PauseSettings(seconds=2.0)),
        ({"pause": {"seconds": "300ms"}}, "pause", PauseSettings(seconds=0.3)),
        ({"state": {}}, "state", StateSettings()),
        ({"state": None}, "state", StateSettings()),
        ({"force-open": None}, "force-open", ForceOpenSettings()),
        ({"reset": {}}, "reset", ResetSettings()),
    ],
)
def test_each_kind_has_the_subcommands_defaults(raw: object, kind: str, settings: object) -> None:
    """A step with an empty (or null) kind gets what the subcommand does with no flags."""
    step = Step.model_validate(raw)
    assert (step.kind, step.settings) == (kind, settings)
    assert step.is_call == (kind in {"invoke", "delay", "error"})


def test_force_open_reason_defaults_like_the_command() -> None:
    """`force-open` without a reason says what `resilience force-open` says."""
    signature = inspect.signature(force_open)
    assert ForceOpenSettings().reason == signature.parameters["reason"].default


def test_the_invoke_mix_default_is_the_commands() -> None:
    """`invoke` steps draw from the same paths as `resilience invoke`."""
    assert DEFAULT_MIX == CLI_MIX


@pytest.mark.parametrize(
    ("step", "defaults", "expected"),
    [
        ({"invoke": {}}, None, 10),
        ({"delay": {}}, None, 4),
        ({"error": {}}, None, 1),
        ({"error": {}}, {"concurrency": 7}, 7),
        ({"delay": {"concurrency": 2}}, {"concurrency": 7}, 2),
    ],
)
def test_concurrency_comes_from_the_step_then_defaults_then_the_kind(
    step: object, defaults: object, expected: int
) -> None:
    """A call step's concurrency: its own, else defaults.concurrency, else 10/4/1 by kind."""
    loaded = scenario(step, defaults=defaults)
    assert loaded.resolved_concurrency(loaded.steps[0]) == expected


def test_concurrency_of_a_step_without_calls_is_an_error() -> None:
    """Asking how many calls a pause offers at once is a programming error."""
    loaded = scenario({"pause": 1})
    with pytest.raises(ValueError, match="makes no calls"):
        loaded.resolved_concurrency(loaded.steps[0])


def test_unnamed_steps_are_named_by_position_and_kind() -> None:
    """Steps are `<index>-<kind>` from 1; the finally steps say so in their names."""
    loaded = Scenario.model_validate(
        {
            "version": 1,
            "title": "t",
            "steps": [{"name": "first", "reset": {}}, {"force-open": {}}],
            "finally": [{"reset": {}}],
        }
    )
    assert [step.name for _, step in loaded.sections()] == [
        "first",
        "2-force-open",
        "finally-1-reset",
    ]


def test_a_step_on_its_own_is_named_after_its_kind() -> None:
    """Outside a scenario there is no index, so the name is the kind."""
    assert Step.model_validate({"delay": {}}).name == "delay"


def test_a_scenario_must_be_a_mapping() -> None:
    """A list where the scenario should be is a validation error, not a crash."""
    with pytest.raises(ValidationError, match="valid dictionary or instance of Scenario"):
        Scenario.model_validate([{"reset": {}}])


def test_keys_are_known_only_where_models_are() -> None:
    """Did-you-mean hints come from the model at that spot, and plain values have none."""
    assert keys_at(("steps", 0, "expect", "latency", 1)) == ("threshold", "strict", "abort_on_fail")
    assert keys_at(("defaults", "policies", "retry"))[0] == "attempts"
    assert keys_at(("seed",)) == ()


def test_models_are_frozen_values() -> None:
    """A loaded scenario cannot be changed in place, and equal files give equal values."""
    loaded = scenario({"reset": {}})
    with pytest.raises(ValidationError, match="frozen"):
        loaded.seed = 3  # type: ignore[misc]
    assert loaded == scenario({"reset": {}})


# -- expectations ---------------------------------------------------------------------------


def test_expectations_accept_every_form_in_file_order() -> None:
    """Scalar, threshold text, list, and the object form with strict and abort_on_fail."""
    step = Step.model_validate(
        {
            "error": {},
            "expect": {
                "breaker.state": "open",
                "calls": 20,
                "fallback.breaker_open": "count >= 10",
                "latency": [
                    "p(95) < 300ms",
                    {"threshold": "max < 2s", "strict": False},
                    {"threshold": "p(99) < 1s", "abort_on_fail": True},
                ],
            },
        }
    )
    assert [
        (e.metric, e.threshold, e.strict, e.abort_on_fail, e.source) for e in step.expectations
    ] == [
        ("breaker.state", equality("open"), True, False, "open"),
        ("calls", equality(20), True, False, "20"),
        ("fallback.breaker_open", parse_threshold("count >= 10"), True, False, "count >= 10"),
        ("latency", parse_threshold("p(95) < 300ms"), True, False, "p(95) < 300ms"),
        ("latency", parse_threshold("max < 2s"), False, False, "max < 2s"),
        ("latency", parse_threshold("p(99) < 1s"), True, True, "p(99) < 1s"),
    ]


def test_a_yes_no_threshold_is_spelt_as_in_yaml() -> None:
    """`source` shows what the file said, `true`, even for a value no metric takes."""
    assert ThresholdSpec.model_validate({"threshold": True}).source == "true"
    assert ThresholdSpec.model_validate(0.5).source == "0.5"


def test_validating_in_python_checks_meaning_too() -> None:
    """Without the loader, a bad threshold still fails validation, naming its key path."""
    with pytest.raises(ValidationError, match=r"expect\.latency\[0\]\.threshold: unknown unit"):
        scenario({"invoke": {}, "expect": {"latency": "p(95) < 3xs"}})


def test_validating_in_python_checks_merged_policies() -> None:
    """A policy out of range fails validation of the scenario, naming where it was set."""
    with pytest.raises(ValidationError, match=r"steps\[0\]\.policies\.retry\.attempts: must be"):
        scenario({"invoke": {}, "policies": {"retry": {"attempts": 0}}})


# -- policies ------------------------------------------------------------------------------


def cli_defaults() -> Policies:
    flags = {parameter.name: parameter.default for parameter in call_parameters("invoke")}
    return CallOptions.parse(flags).policies()


def test_unset_policies_are_the_command_lines_defaults() -> None:
    """A step with no policies runs exactly as its one-liner with no flags."""
    loaded = scenario({"invoke": {}})
    assert loaded.resolved_policies(loaded.steps[0]) == cli_defaults()
    assert resolve_policies() == cli_defaults()


@pytest.mark.parametrize(
    ("policy", "config"),
    [
        (TimeoutPolicy, TimeoutConfig),
        (RetryPolicy, RetryConfig),
        (RateLimiterPolicy, RateLimiterConfig),
        (BulkheadPolicy, BulkheadConfig),
        (BreakerPolicy, BreakerConfig),
    ],
)
def test_policy_keys_are_the_config_fields(policy: type, config: type) -> None:
    """Every configuration field has a key of the same name, and no key is extra."""
    assert list(policy.model_fields) == [field.name for field in dataclasses.fields(config)]


def test_policy_keys_are_the_flags_configuration_keys() -> None:
    """Each flag's `--help` names a key the scenario format has (see cli/options.py)."""
    keys = {
        f"{pattern}.{key}"
        for pattern in PolicyOverrides.model_fields
        for key in keys_at(("defaults", "policies", pattern))
    }
    assert set(FLAG_OF) <= keys
    assert keys - set(FLAG_OF) == {"retry.honor_retry_after"}  # --retry-after/--no-retry-after


def test_a_step_overrides_one_key_and_keeps_the_rest() -> None:
    """The merge is deep: a step's key replaces the default's, the other defaults stay."""
    loaded = scenario(
        {"error": {}, "policies": {"breaker": {"failure_threshold": 3}}},
        defaults={"policies": {"breaker": {"open_for": "2s", "window_size": 10}}},
    )
    breaker = loaded.resolved_policies(loaded.steps[0]).breaker
    assert breaker == BreakerConfig(failure_threshold=3, open_for=2.0, window_size=10)


def test_null_switches_a_pattern_off() -> None:
    """`rate_limiter: null` in the defaults means no limiter; other patterns stay on."""
    loaded = scenario({"invoke": {}}, defaults={"policies": {"rate_limiter": None}})
    policies = loaded.resolved_policies(loaded.steps[0])
    assert policies.rate_limiter is None
    assert policies.bulkhead == cli_defaults().bulkhead


def test_a_step_switches_on_again_what_the_defaults_switched_off() -> None:
    """After a null in the defaults, a step's mapping starts again from the built-in values."""
    loaded = scenario(
        {"invoke": {}, "policies": {"bulkhead": {"max_concurrent": 2}}},
        defaults={"policies": {"bulkhead": None}},
    )
    bulkhead = loaded.resolved_policies(loaded.steps[0]).bulkhead
    assert bulkhead == BulkheadConfig(max_concurrent=2, max_queue=50, max_wait=10.0)


def test_a_step_switches_off_what_the_defaults_configure() -> None:
    """`retry: null` in a step wins over the defaults' retry settings."""
    loaded = scenario(
        {"delay": {}, "policies": {"retry": None}},
        defaults={"policies": {"retry": {"attempts": 5}}},
    )
    assert loaded.resolved_policies(loaded.steps[0]).retry is None


def test_null_on_one_key_switches_that_limit_off() -> None:
    """Keys whose configuration allows None take null: no trip on consecutive failures."""
    loaded = scenario(
        {"error": {}, "policies": {"breaker": {"failure_threshold": None}}},
        defaults={"policies": {"timeout": {"total": None}, "bulkhead": {"max_queue": None}}},
    )
    policies = loaded.resolved_policies(loaded.steps[0])
    assert policies.breaker is not None
    assert policies.breaker.failure_threshold is None
    assert policies.timeout == TimeoutConfig(attempt=2.0, total=None)
    assert policies.bulkhead == BulkheadConfig(max_concurrent=5, max_queue=None, max_wait=10.0)


def test_durations_work_for_every_seconds_valued_key() -> None:
    """`300ms`, `2s` and `1.5m` are read wherever a policy key counts seconds."""
    loaded = scenario(
        {"invoke": {}},
        defaults={
            "policies": {
                "timeout": {"attempt": "300ms", "total": "1.5m"},
                "retry": {"base_delay": "100ms", "max_delay": "2s"},
                "rate_limiter": {"max_wait": "250ms"},
                "bulkhead": {"max_wait": "1m"},
                "breaker": {
                    "slow_call_duration": "800ms",
                    "open_for": "2m",
                    "half_open_max_wait": "90s",
                },
            }
        },
    )
    policies = loaded.resolved_policies(loaded.steps[0])
    assert policies.timeout == TimeoutConfig(attempt=0.3, total=90.0)
    assert policies.retry == RetryConfig(base_delay=0.1, max_delay=2.0)
    assert policies.rate_limiter == RateLimiterConfig(rate=20.0, burst=5, max_wait=0.25)
    assert policies.bulkhead == BulkheadConfig(max_concurrent=5, max_queue=50, max_wait=60.0)
    assert policies.breaker == BreakerConfig(
        slow_call_duration=0.8, open_for=120.0, half_open_max_wait=90.0
    )


@pytest.mark.parametrize(
    ("flags", "timeout", "retry"),
    [
        ({}, TimeoutConfig(attempt=2.0, total=10.0, min_attempt=0.05), 60.0),
        ({"min_attempt": 0.0, "max_retry_after": 0.0}, TimeoutConfig(2.0, 10.0, 0.0), None),
        ({"min_attempt": 0.2, "max_retry_after": 300.0}, TimeoutConfig(2.0, 10.0, 0.2), 300.0),
    ],
)
def test_the_floor_and_the_retry_after_cap_have_flags(flags, timeout, retry) -> None:
    """--min-attempt and --max-retry-after reach the configs; --max-retry-after 0: no cap."""
    values = {parameter.name: parameter.default for parameter in call_parameters("invoke")}
    policies = CallOptions.parse(values | flags).policies()
    assert policies.timeout == timeout
    assert policies.retry is not None
    assert policies.retry.max_retry_after == retry


def test_the_floor_and_the_retry_after_cap_have_keys() -> None:
    """timeout.min_attempt and retry.max_retry_after are scenario keys; null: no cap."""
    loaded = scenario(
        {"invoke": {}},
        defaults={
            "policies": {
                "timeout": {"min_attempt": "100ms"},
                "retry": {"max_retry_after": None},
            }
        },
    )
    policies = loaded.resolved_policies(loaded.steps[0])
    assert policies.timeout == TimeoutConfig(attempt=2.0, total=10.0, min_attempt=0.1)
    assert policies.retry == RetryConfig(
        attempts=3, base_delay=0.2, max_delay=2.0, max_retry_after=None
    )


def test_steps_without_policies_get_the_defaults() -> None:
    """A state step resolves to defaults.policies, so a runner may ask any step."""
    loaded = scenario({"state": {}}, defaults={"policies": {"retry": {"attempts": 1}}})
    assert loaded.resolved_policies(loaded.steps[0]).retry == RetryConfig(
        attempts=1, base_delay=0.2, max_delay=2.0
    )


# -- JSON Schema -------------------------------------------------------------------------------


_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "null": type(None),
}


def schema_errors(value: object, schema: dict, root: dict, path: str = "") -> list[str]:  # noqa: C901, PLR0912 - a small validator is a list of keywords
    """A minimal JSON Schema walk: the keywords our schema uses, nothing more."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return schema_errors(value, root["$defs"][name], root, path)
    errors: list[str] = []
    if "anyOf" in schema and all(schema_errors(value, s, root, path) for s in schema["anyOf"]):
        errors.append(f"{path}: matches no anyOf choice")
    if "oneOf" in schema:
        matches = sum(not schema_errors(value, s, root, path) for s in schema["oneOf"])
        if matches != 1:
            errors.append(f"{path}: matches {matches} oneOf choices")
    if "type" in schema:
        expected = _TYPES[schema["type"]]
        is_bool = isinstance(value, bool)
        if not isinstance(value, expected) or (is_bool and schema["type"] != "boolean"):
            return [*errors, f"{path}: not {schema['type']}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: not {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: too short")
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
        errors.append(f"{path}: out of range")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: too few items")
        for index, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), root, f"{path}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [
            f"{path}.{key}: required" for key in schema.get("required", ()) if key not in value
        ]
        for key, item in value.items():
            inner = properties.get(key, schema.get("additionalProperties", True))
            if inner is False:
                errors.append(f"{path}.{key}: not allowed")
            elif isinstance(inner, dict):
                errors += schema_errors(item, inner, root, f"{path}.{key}")
    return errors


def test_the_schema_names_itself_and_its_draft() -> None:
    """Editors find the draft, an id and a title at the top."""
    schema = scenario_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "resilience-cli/scenario/v1"
    assert "scenario" in str(schema["title"])


def test_the_schema_uses_the_files_spelling() -> None:
    """`finally` and `force-open` appear as written in files, and every kind is a property."""
    schema = scenario_json_schema()
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert "finally" in properties
    assert "finally_" not in properties
    definitions = schema["$defs"]
    assert isinstance(definitions, dict)
    step = definitions["Step"]
    kinds = [
        "invoke",
        "delay",
        "error",
        "pause",
        "state",
        "force-open",
        "reset",
        "faults",
        "compare",
        "stress",
    ]
    assert set(kinds) <= set(step["properties"])
    assert step["oneOf"] == [{"required": [kind]} for kind in kinds]


def test_the_schema_describes_the_fields() -> None:
    """Every property carries a description, for editors' hover text."""
    schema = scenario_json_schema()
    definitions = schema["$defs"]
    assert isinstance(definitions, dict)
    undocumented = [
        f"{name}.{key}"
        for name, definition in definitions.items()
        for key, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []


def test_the_schema_accepts_the_full_example(tour_text: str) -> None:
    """The format's full example, as data, passes the schema."""
    data = yaml.safe_load(tour_text)
    schema = scenario_json_schema()
    assert schema_errors(data, schema, schema) == []
    parse_scenario(tour_text, "tour.yaml")  # and the loader agrees


@pytest.mark.parametrize(
    ("step", "complaint"),
    [
        ({"invoke": {}, "delay": {}}, "oneOf"),
        ({"name": "nothing"}, "oneOf"),
        ({"invoke": {"concurency": 3}}, "anyOf"),
        ({"invoke": {}, "repeat": 3}, "not allowed"),
        ({"pause": "soon"}, "anyOf"),
        ({"invoke": {}, "expect": {"latency": []}}, "anyOf"),
        ({"error": {"status": 99}}, "anyOf"),
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(step: object, complaint: str) -> None:
    """Two kinds, no kind, misspelt keys, a bad duration, an empty list, a bad status."""
    schema = scenario_json_schema()
    data = {"version": 1, "title": "t", "steps": [step]}
    assert complaint in " ".join(schema_errors(data, schema, schema))

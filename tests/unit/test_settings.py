import dataclasses
import inspect
import math
from pathlib import Path

import pytest

from resilience_cli.cli.options import CallOptions, call_parameters
from resilience_cli.errors import ConfigError, UsageError
from resilience_cli.patterns import Policies
from resilience_cli.scenarios import Scenario, scenario_json_schema
from resilience_cli.scenarios.policies import PATTERN_MODELS
from resilience_cli.settings import (
    BY_KEY,
    CALL_COMMANDS,
    PATTERNS,
    POLICY_SETTINGS,
    SETTINGS,
    Kind,
    Setting,
    build_policies,
    chosen_by_flags,
    docs,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "patterns.md"]

# Keys whose bounds can only be tried together with another key (min_calls <= window).
COMPANIONS = {
    "breaker.window_size": {"minimum_calls": 1},
    "breaker.minimum_calls": {"window_size": 10_000},
    "retry.base_delay": {"max_delay": 86_400},
    "retry.max_delay": {"base_delay": 0},
    # The floor must lie below the deadline, so the smallest deadline needs no floor.
    "timeout.total": {"min_attempt": 0},
}


def flag_defaults(command: str = "invoke") -> dict[str, object]:
    return {parameter.name: parameter.default for parameter in call_parameters(command)}


def with_key(setting, value) -> dict:
    """The table's defaults for every pattern, with `setting` (and its companions) changed."""
    chosen = chosen_by_flags(CallOptions.parse(flag_defaults()).policy_flags)
    keys = {**(chosen[setting.pattern] or {}), **COMPANIONS.get(setting.key, {})}
    keys[setting.field] = value
    return {setting.pattern: keys}


def test_names_flags_and_keys_are_unique():
    """No two entries share a parameter name, a flag or a configuration key."""
    names = [setting.name for setting in SETTINGS]
    flags = [setting.flag for setting in SETTINGS]
    keys = [setting.key for setting in POLICY_SETTINGS]
    assert len(set(names)) == len(names)
    assert len(set(flags)) == len(flags)
    assert len(set(keys)) == len(keys)


def test_the_keys_are_the_config_fields_in_their_order():
    """Each pattern's keys are exactly its config class's fields, in the same order."""
    library = Policies()
    for pattern in PATTERNS:
        fields = [field.name for field in dataclasses.fields(getattr(library, pattern.name))]
        keys = [setting.field for setting in POLICY_SETTINGS if setting.pattern == pattern.name]
        assert keys == fields, pattern.name


def test_every_number_has_an_upper_bound():
    """Whole numbers, seconds, numbers and fractions all say how large they may be."""
    unbounded = [
        setting.flag
        for setting in SETTINGS
        if setting.kind in {Kind.WHOLE, Kind.SECONDS, Kind.NUMBER, Kind.FRACTION}
        and setting.high is None
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    "setting",
    [setting for setting in POLICY_SETTINGS if setting.kind is not Kind.SWITCH],
    ids=lambda setting: setting.key,
)
def test_the_documented_range_is_the_patterns(setting):
    """The table's low and high are accepted by the pattern, and just below low is refused."""
    low = setting.low
    assert low is not None
    lowest = math.nextafter(low, math.inf) if setting.low_open else low
    whole = setting.kind is Kind.WHOLE
    build_policies(with_key(setting, int(lowest) if whole else lowest))
    build_policies(with_key(setting, setting.high))
    below = low - 1 if whole else (low if setting.low_open else math.nextafter(low, -math.inf))
    with pytest.raises(ConfigError) as refused:
        build_policies(with_key(setting, below))
    assert refused.value.field == setting.key


def test_the_flags_and_the_files_build_the_same_policies():
    """No flags and no `policies:` give one `Policies`, from the one builder."""
    loaded = Scenario.model_validate({"version": 1, "title": "t", "steps": [{"invoke": {}}]})
    from_flags = CallOptions.parse(flag_defaults()).policies()
    assert loaded.resolved_policies(loaded.steps[0]) == from_flags


@pytest.mark.parametrize(
    ("flags", "pattern", "expected"),
    [
        ({"rate": 0.0}, "rate_limiter", None),
        ({"max_concurrent": 0}, "bulkhead", None),
        ({"queue": -1}, "bulkhead", {"max_concurrent": 5, "max_queue": None, "max_wait": 10.0}),
        (
            {"timeout": 0.0, "deadline": 0.0},
            "timeout",
            {"attempt": None, "total": None, "min_attempt": 0.05},
        ),
    ],
)
def test_an_off_value_switches_off_its_key_or_its_pattern(flags, pattern, expected):
    """`--rate 0` means no limiter; `--queue -1` means a queue without bound."""
    values = CallOptions.parse(flag_defaults() | flags).policy_flags
    assert chosen_by_flags(values)[pattern] == expected


def test_each_command_has_its_own_defaults_and_option():
    """`delay` makes 8 calls, 4 at once, to /delay/3; `error` 20, 1 at once, to /status/500."""
    assert {name: flag_defaults("delay")[name] for name in ("count", "concurrency", "seconds")} == {
        "count": 8,
        "concurrency": 4,
        "seconds": 3.0,
    }
    assert {name: flag_defaults("error")[name] for name in ("count", "concurrency", "status")} == {
        "count": 20,
        "concurrency": 1,
        "status": "500",
    }
    assert "mix" in flag_defaults("invoke")
    assert "mix" not in flag_defaults("error")


def test_every_call_command_has_every_shared_option():
    """The shared settings give the same options to invoke, delay and error."""
    shared = [setting.name for setting in SETTINGS if set(CALL_COMMANDS) <= set(setting.commands)]
    for command in CALL_COMMANDS:
        names = [parameter.name for parameter in call_parameters(command)]
        own = [
            s.name
            for s in SETTINGS
            if command in s.commands and not set(CALL_COMMANDS) <= set(s.commands)
        ]
        assert names == own + shared
        assert own[0] in {"mix", "seconds", "status"}
        assert all(
            parameter.kind is inspect.Parameter.KEYWORD_ONLY
            for parameter in call_parameters(command)
        )


def test_the_scenario_keys_carry_the_table_defaults_and_bounds():
    """A key of `policies:` has its entry's default, and its bound as a schema `maximum`."""
    for setting in POLICY_SETTINGS:
        model = PATTERN_MODELS[setting.pattern]
        assert model.model_fields[setting.field].default == setting.default, setting.key
        schema = model.model_json_schema()["properties"][setting.field]
        if setting.high is not None:
            maxima = [choice.get("maximum") for choice in schema.get("anyOf", [schema])]
            assert setting.high in maxima, setting.key


def test_the_schema_speaks_json_schema_only():
    """No pydantic spelling such as `le` leaks into `resilience schema`."""

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                if key not in {"properties", "$defs"}:
                    yield from keys(value)
                else:
                    for inner in value.values():
                        yield from keys(inner)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert {"le", "ge", "lt", "gt"}.isdisjoint(keys(scenario_json_schema()))


def test_the_help_names_the_key_and_the_file_names_the_flag():
    """`--help` says `timeout.attempt`; the schema says `--timeout`: each points at the other."""
    setting = BY_KEY["timeout.attempt"]
    assert setting.flag_help == "Seconds per attempt (timeout.attempt; 0: off)."
    assert setting.file_help == "Seconds per attempt (--timeout); null: no attempt timeout."


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.name)
def test_the_docs_tables_are_made_from_the_settings(path):
    """Every marked table in the README and docs/patterns.md is what the table makes today."""
    text = path.read_text(encoding="utf-8")
    assert "<!-- settings:" in text
    assert docs.render(text) == text, (
        "run: python -m resilience_cli.settings.docs README.md docs/patterns.md"
    )


def test_the_docs_cover_every_pattern_and_the_shared_options():
    """README holds the options table; docs/patterns.md one table per pattern."""
    assert "<!-- settings:options -->" in DOCS[0].read_text(encoding="utf-8")
    patterns_doc = DOCS[1].read_text(encoding="utf-8")
    for pattern in PATTERNS:
        assert f"<!-- settings:{pattern.name} -->" in patterns_doc


def test_rewriting_the_docs_fills_an_empty_block(tmp_path):
    """The maintainer's command writes the generated table between the markers."""
    page = tmp_path / "page.md"
    page.write_text("before\n<!-- settings:retry -->\n<!-- /settings -->\nafter\n")
    assert docs.main([str(page)]) == 0
    text = page.read_text()
    assert "| `retry.attempts` | `--attempts` | 3 | 3 | 1 to 100 |" in text
    assert text.startswith("before\n")
    assert text.endswith("after\n")


def test_a_value_of_the_wrong_kind_is_a_usage_error():
    """Typer types every flag; a value that slips through untyped is still refused in words."""
    values = flag_defaults() | {"count": "ten"}
    with pytest.raises(UsageError, match="option --count must be a whole number, got 'ten'"):
        CallOptions.parse(values)
    with pytest.raises(UsageError, match="option --timeout must be a seconds, got True"):
        CallOptions.parse(flag_defaults() | {"timeout": True})


@pytest.mark.parametrize(
    ("bounds", "text"),
    [
        ({}, ""),
        ({"high": 5}, "≤ 5 s"),
        ({"low": 1}, "≥ 1 s"),
        ({"low": 0, "low_open": True}, "> 0 s"),
        ({"low": 0, "high": 86_400.0}, "0 to 86,400 s"),
        ({"low": 0, "low_open": True, "high": 2**63 - 1}, "> 0, ≤ 2^63 - 1 s"),
    ],
)
def test_the_docs_spell_a_range_for_people(bounds, text):
    """Open and closed ends, a missing end, grouped thousands, and 2**63 - 1 by name."""
    setting = Setting("--x", Kind.SECONDS, 1.0, "X", unit="s", **bounds)
    assert setting.range_text == text


def test_library_values_are_spelt_as_in_the_docs():
    """Switches are true/false, numbers carry their unit, anything else is itself."""
    setting = BY_KEY["timeout.attempt"]
    assert [docs._value_text(setting, value) for value in (None, True, 2.0, "x")] == [
        "off",
        "true",
        "2 s",
        "x",
    ]

"""Careless and hostile scenario files: every one is a `file:line:col` problem, none a crash."""

from __future__ import annotations

import pytest

from resilience_cli.limits import MAX_SCENARIO_BYTES, MAX_STEPS
from resilience_cli.scenarios import ScenarioError, load_scenario, parse_scenario

HEAD = "version: 1\ntitle: t\nsteps:\n"  # steps start on line 4
BIG = "9" * 400


def problems(text: str, source: str = "t.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source)
    return str(caught.value).splitlines()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD + f"  - pause: {BIG}\n",
            "t.yaml:4:12 steps[0].pause: must be at most 86400 seconds (a day)",
            id="pause",
        ),
        pytest.param(
            HEAD + f"  - invoke: {{count: {BIG}}}\n",
            "t.yaml:4:21 steps[0].invoke.count: must be <= 100,000,000",
            id="count",
        ),
        pytest.param(
            HEAD + f"  - invoke: {{count: {10**400}}}\n",
            "t.yaml:4:21 steps[0].invoke.count: must be <= 100,000,000",
            id="count-10**400",
        ),
        pytest.param(
            HEAD + f"  - invoke: {{concurrency: {BIG}}}\n",
            "t.yaml:4:27 steps[0].invoke.concurrency: must be <= 1,000",
            id="concurrency",
        ),
        pytest.param(
            HEAD + f"  - error:\n    policies: {{breaker: {{open_for: {BIG}}}}}\n",
            "t.yaml:5:36 steps[0].policies.breaker.open_for: must be at most 86400 seconds (a day)",
            id="open_for",
        ),
        pytest.param(
            HEAD + f"  - error:\n    policies: {{breaker: {{window_size: {BIG}}}}}\n",
            "t.yaml:5:39 steps[0].policies.breaker.window_size: must be <= 10,000",
            id="window_size",
        ),
        pytest.param(
            HEAD + f"  - error:\n    policies: {{rate_limiter: {{rate: {BIG}}}}}\n",
            "t.yaml:5:37 steps[0].policies.rate_limiter.rate: must be <= 1,000,000",
            id="rate",
        ),
        pytest.param(
            HEAD + "  - error:\n    policies: {retry: {max_delay: 25h}}\n",
            "t.yaml:5:35 steps[0].policies.retry.max_delay: must be a number of seconds like 2 or"
            " 300ms",
            id="unit-hours",
        ),
        pytest.param(
            HEAD + "  - error:\n    policies: {retry: {max_delay: 1441m}}\n",
            "t.yaml:5:35 steps[0].policies.retry.max_delay: must be at most 86400 seconds (a day)",
            id="a-day-and-a-minute",
        ),
        pytest.param(
            HEAD + f"  - error: {{}}\n    expect: {{calls: {BIG}}}\n",
            "t.yaml:5:21 steps[0].expect.calls: the number is too large; expectations compare"
            " numbers up to 1,000,000,000,000,000",
            id="expect-scalar",
        ),
        pytest.param(
            HEAD + "  - error: {}\n    expect: {calls: 'count >= 10000000000000000'}\n",
            "t.yaml:5:31 steps[0].expect.calls: the number is too large; expectations compare"
            " numbers up to 1,000,000,000,000,000",
            id="expect-threshold",
        ),
        pytest.param(
            f"version: 1\ntitle: t\nseed: {BIG}\nsteps: [reset: {{}}]\n",
            "t.yaml:3:7 seed: must be <= 2^63 - 1",
            id="seed",
        ),
        pytest.param(
            f"version: 1\ntitle: t\nseed: {'9' * 5000}\nsteps: [reset: {{}}]\n",
            "t.yaml:3:7 invalid YAML: a number of 5,000 digits is too large",
            id="seed-5000-digits",
        ),
        pytest.param(
            f"version: {BIG}\ntitle: t\nsteps: [reset: {{}}]\n",
            "t.yaml:1:10 version: unsupported version of that size; this resilience-cli reads"
            " version 1",
            id="version",
        ),
        pytest.param(
            "version: 1\ntitle: t\nseed: -1\nsteps: [reset: {}]\n",
            "t.yaml:3:7 seed: must be >= 0",
            id="seed-negative",
        ),
        pytest.param(
            HEAD + "  - pause: '\u0663s'\n",
            "t.yaml:4:12 steps[0].pause: must be a number of seconds like 2 or 300ms",
            id="arabic-indic-digit",
        ),
        pytest.param(
            HEAD + "  - error: {status: 150}\n",
            "t.yaml:4:21 steps[0].error.status: must be >= 200 (a 1xx status is not a final"
            " answer)",
            id="status-1xx",
        ),
        pytest.param(
            HEAD + "  - error: {status: '200,99'}\n",
            "t.yaml:4:21 steps[0].error.status: status 99 must be >= 200",
            id="status-list",
        ),
    ],
)
def test_numbers_out_of_bounds_point_at_the_value(text: str, expected: str) -> None:
    """Every number has bounds in files too: a 400-digit value is a problem, not an overflow."""
    assert problems(text) == [expected]


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("!!timestamp 2001-12-14x", "'2001-12-14x' is not a valid timestamp"),
        ("!!timestamp 99999-01-01", "'99999-01-01' is not a valid timestamp"),
        ("2001-13-45", "'2001-13-45' is not a valid timestamp"),
        ("!!timestamp 2001-12-14t21:59:43.10-99:00", "is not a valid timestamp"),
        ("!!int junk", "'junk' is not a valid int"),
        ("!!int 0x", "'0x' is not a valid int"),
        ("!!int 0b2", "'0b2' is not a valid int"),
        ("!!float junk", "'junk' is not a valid float"),
        ("!!float 1:x", "'1:x' is not a valid float"),
        ("!!bool maybe", "'maybe' is not a valid bool"),
        ("!!set [1]", "expected a mapping node, but found sequence"),
        ("!!omap [1]", "expected a mapping of length 1, but found scalar"),
    ],
)
def test_values_a_yaml_tag_cannot_hold_are_yaml_problems(value: str, what: str) -> None:
    """`!!timestamp 2001-12-14x` and its siblings are `invalid YAML` at the value, exit 2."""
    (problem,) = problems(f"version: 1\ntitle: {value}\nsteps: [reset: {{}}]\n")
    assert problem.startswith("t.yaml:2:")
    assert "invalid YAML: " in problem
    assert what in problem


@pytest.mark.parametrize("section", ["steps", "finally"])
def test_a_thousand_steps_at_most(section: str) -> None:
    """1,001 steps are refused at once, before any of them is built or checked."""
    steps = "".join("  - reset: {}\n" for _ in range(MAX_STEPS + 1))
    text = "version: 1\ntitle: t\n"
    text += f"steps:\n{steps}" if section == "steps" else f"steps: [reset: {{}}]\nfinally:\n{steps}"
    (problem,) = problems(text)  # from the node tree: pydantic would say "at most 1,000 items"
    assert f"{section}: has 1,001 steps; a scenario may have at most 1,000" in problem


def test_steps_merged_in_are_counted_too() -> None:
    """Steps that come in through a YAML merge key (`<<`) meet the same limit."""
    steps = "".join("    - reset: {}\n" for _ in range(MAX_STEPS + 1))
    text = f"version: 1\ntitle: t\n<<:\n  steps:\n{steps}"
    assert problems(text) == ["t.yaml:5:5 steps: must have at most 1,000 items"]


def test_a_thousand_steps_are_fine() -> None:
    """The limit itself is allowed."""
    steps = "".join("  - reset: {}\n" for _ in range(MAX_STEPS))
    assert len(parse_scenario(HEAD + steps, "t.yaml").steps) == MAX_STEPS


def test_a_file_over_a_mebibyte_is_refused_unread(tmp_path) -> None:
    """A 1.4 MB file of 100,000 steps is refused at once; so is text of that size."""
    path = tmp_path / "huge.yaml"
    path.write_text(HEAD + "  - reset: {}\n" * 100_000)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert (
        str(caught.value)
        == f"{path}: is larger than 1,048,576 bytes (1 MiB); a scenario file is a few KB"
    )
    assert "larger than" in problems("#" * (MAX_SCENARIO_BYTES + 1))[0]


def test_a_status_list_and_a_mix_with_one_are_valid() -> None:
    """`status: 200,500` and `mix: /get:1,/status/200,500:1` are what httpbin accepts."""
    loaded = parse_scenario(
        HEAD
        + "  - error: {status: '200:0.7, 500:0.3'}\n"
        + "  - invoke: {mix: '/get:1,/status/200,500:1'}\n",
        "t.yaml",
    )
    assert loaded.steps[0].settings.status == "200:0.7,500:0.3"
    assert loaded.steps[1].settings.mix == "/get:1,/status/200,500:1"

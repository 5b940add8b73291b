"""Presets by name and sweeps by key: what is unknown or wrong is one usage error."""

import pytest

from resilience_cli.compare import PRESETS, parse_presets, parse_sweep, variants
from resilience_cli.errors import UsageError


def test_presets_are_read_in_order_once_each_with_their_aliases():
    """`seed` is the demo's; a name given twice is compared once."""
    names = [preset.name for preset in parse_presets("polly, seed,POLLY,r4j")]
    assert names == ["polly", "demo", "resilience4j"]


def test_an_unknown_preset_names_the_closest_one():
    """A typo gets a suggestion and the list of known presets."""
    with pytest.raises(UsageError, match=r"unknown preset 'pollly' \(did you mean polly\?\)"):
        parse_presets("pollly")


def test_every_preset_says_where_it_comes_from():
    """Each preset carries its source, and leaves the unmodelled patterns off."""
    for preset in PRESETS.values():
        assert preset.source
        assert preset.policies.bulkhead is None
        assert preset.policies.rate_limiter is None


def test_a_sweep_makes_one_variant_of_each_preset_per_value():
    """Two presets at three thresholds: six variants, each with the value it names."""
    sweep = parse_sweep("breaker.failure_threshold=3,5,off")
    made = variants(parse_presets("ours,pybreaker"), sweep)
    assert [preset.name for preset in made] == [
        "ours[failure_threshold=3]",
        "ours[failure_threshold=5]",
        "ours[failure_threshold=off]",
        "pybreaker[failure_threshold=3]",
        "pybreaker[failure_threshold=5]",
        "pybreaker[failure_threshold=off]",
    ]
    thresholds = [preset.policies.breaker.failure_threshold for preset in made]
    assert thresholds == [3, 5, None, 3, 5, None]


def test_a_sweep_of_a_pattern_a_preset_has_off_starts_from_its_library_defaults():
    """The pybreaker preset has no retry; a swept retry.attempts gives it one."""
    (made,) = variants(parse_presets("pybreaker"), parse_sweep("retry.attempts=2"))
    assert made.policies.retry is not None
    assert made.policies.retry.attempts == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("breaker.nope=1", "expected KEY=V1,V2,... with a key of"),
        ("breaker.failure_threshold", "expected KEY=V1,V2"),
        ("bulkhead.max_concurrent=3", "with a key of"),  # not modelled by a replay
        ("breaker.failure_threshold=three", "'three' is not a whole number"),
        ("breaker.open_for=off", "cannot be off"),
        ("breaker.failure_rate_threshold=nan", "is not a finite number"),
        ("breaker.failure_threshold=", "give 1 to 20 values, got 0"),
        ("breaker.failure_threshold=2000000", "must be <= 1,000,000"),
    ],
)
def test_a_bad_sweep_is_one_line(text, message):
    """Unknown key, wrong kind, off where it cannot be: one line naming it."""
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_sweep(text)


def test_a_swept_value_the_pattern_refuses_names_the_preset():
    """A window of 1.5 s passes the bound but not the breaker: the error names the preset."""
    with pytest.raises(UsageError, match=r"--sweep breaker.window_duration=1.5 for ours: .*whole"):
        variants(parse_presets("ours"), parse_sweep("breaker.window_duration=1.5"))

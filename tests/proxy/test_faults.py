import random

import pytest

from resilience_cli.proxy.faults import (
    HEALTHY,
    PASS,
    Action,
    FaultProfile,
    decide,
    profile_from,
)


def fates(profile, n=1000, seed=1):
    rng = random.Random(seed)
    return [decide(profile, rng) for _ in range(n)]


def test_a_healthy_profile_passes_every_request_untouched():
    """No fault: every fate is the plain pass."""
    assert HEALTHY.healthy
    assert all(fate is PASS for fate in fates(HEALTHY))


def test_each_fault_strikes_at_about_its_rate():
    """A status at 30 % answers about 300 of 1,000 requests itself, the rest pass."""
    drawn = fates(FaultProfile(status=503, status_rate=0.3))
    struck = sum(fate.action is Action.STATUS for fate in drawn)
    assert 250 < struck < 350
    assert {fate.status for fate in drawn if fate.action is Action.STATUS} == {503}


def test_reset_wins_over_black_hole_over_status():
    """Every fault at 100 %: the connection is reset; without reset, a black hole; then status."""
    everything = FaultProfile(status=500, reset_rate=1, black_hole_rate=1)
    assert fates(everything, 5)[0].action is Action.RESET
    no_reset = FaultProfile(status=500, black_hole_rate=1)
    assert fates(no_reset, 5)[0].action is Action.BLACK_HOLE
    assert fates(FaultProfile(status=500), 5)[0].action is Action.STATUS


def test_latency_varies_by_its_jitter_and_never_goes_below_zero():
    """0.2 s ± 0.05 s: every delay lies in [0.15, 0.25]; a jitter above the latency floors at 0."""
    delays = [fate.delay for fate in fates(FaultProfile(latency=0.2, jitter=0.05))]
    assert min(delays) >= 0.15
    assert max(delays) <= 0.25
    assert max(delays) - min(delays) > 0.09
    assert min(f.delay for f in fates(FaultProfile(latency=0.01, jitter=0.5))) == 0


def test_slow_answers_carry_their_first_byte_wait_and_bandwidth():
    """A passing request under first_byte and bandwidth faults carries both."""
    fate = fates(FaultProfile(first_byte=0.5, bandwidth=1000), 1)[0]
    assert (fate.action, fate.first_byte, fate.bandwidth) == (Action.PASS, 0.5, 1000)


def test_the_draws_do_not_depend_on_the_profile():
    """Seven numbers a decision, whatever the faults: a change of faults shifts nothing after it."""
    a, b = random.Random(9), random.Random(9)
    decide(HEALTHY, a)
    decide(FaultProfile(status=500, latency=1, jitter=1, reset_rate=0.5), b)
    assert a.random() == b.random()


def test_the_same_seed_gives_the_same_fates():
    """Seeded: the same profile and seed decide the same fates in the same order."""
    profile = FaultProfile(status=503, status_rate=0.5, latency=0.1, jitter=0.1)
    assert fates(profile, 50, seed=4) == fates(profile, 50, seed=4)
    assert fates(profile, 50, seed=4) != fates(profile, 50, seed=5)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"latncy": 1}, "unknown fault 'latncy'"),
        ({"status": 700}, "status must be 200 to 599"),
        ({"status": 500.5}, "whole number"),
        ({"status_rate": 1.5}, "status_rate must be 0 to 1"),
        ({"latency": -1}, "latency must be 0 to"),
        ({"latency": "1s"}, "latency must be a number"),
        ({"reset_rate": True}, "reset_rate must be a number"),
        ({"bandwidth": float("inf")}, "bandwidth must be 0 to"),
    ],
)
def test_a_bad_profile_names_its_key(data, problem):
    """Unknown keys, wrong types and values out of range are refused, naming the key."""
    with pytest.raises(ValueError, match=problem):
        profile_from(data)


def test_a_profile_from_data_keeps_the_base_for_keys_left_out():
    """PATCH semantics: the keys given change, the others stay as they were."""
    base = FaultProfile(status=503, status_rate=0.3)
    assert profile_from({"latency": 0.1}, base) == FaultProfile(
        status=503, status_rate=0.3, latency=0.1
    )


def test_a_profile_describes_itself_in_words():
    """One line says what is on, with the rates under 100 %."""
    profile = FaultProfile(status=503, status_rate=0.3, latency=0.2, jitter=0.05)
    assert profile.describe() == "latency 0.2 s ± 0.05 s, status 503 at 30%"
    assert HEALTHY.describe() == "healthy"
    assert FaultProfile(status=503, status_rate=0).describe() == "healthy"

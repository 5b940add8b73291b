"""Fault phases: the grammar, the schedule, and what a fault does to a request."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.faults import (
    HEALTHY,
    NO_EFFECT,
    Effect,
    Fault,
    Phase,
    Schedule,
    draw,
    parse_fault,
    parse_phase,
)


@pytest.mark.parametrize(
    ("text", "phase"),
    [
        ("10s:status=500@0.6", Phase(10.0, Fault(status=500, status_chance=0.6))),
        ("25s:delay=3s@0.3", Phase(25.0, Fault(delay=3.0, delay_chance=0.3))),
        ("40s:healthy", Phase(40.0, HEALTHY)),
        ("0:HEALTHY", Phase(0.0, HEALTHY)),
        ("500ms:status=503", Phase(0.5, Fault(status=503))),
        ("1.5m:delay=250ms@50%", Phase(90.0, Fault(delay=0.25, delay_chance=0.5))),
        (
            "5s:status=500@0.5, delay=1s@0.2",
            Phase(5.0, Fault(status=500, status_chance=0.5, delay=1.0, delay_chance=0.2)),
        ),
    ],
)
def test_a_phase_reads_as_written(text, phase):
    """`at:fault` with status and delay, each with an optional chance (a number or a %)."""
    assert parse_phase(text) == phase


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status=500", "must be <time>:<fault>"),
        ("10s:", "a fault is missing"),
        ("ten:healthy", "the time of 'ten:healthy' must be a duration"),
        ("1s:status=100", "status '100' must be a code from 200 to 599"),
        ("1s:status=5xx", "must be a code from 200 to 599"),
        ("1s:status=500@1.5", "the chance of status=500 must be from 0 to 1"),
        ("1s:status=500@-1", "must be from 0 to 1"),
        ("1s:delay=3x", "delay must be a duration"),
        ("1s:delay=2d", "delay must be a duration"),
        ("1s:delay=86401", "at most 86400 seconds"),
        ("1s:loss=0.5", "must be status=CODE[@CHANCE] or delay=SECONDS[@CHANCE]"),
        ("1s:status=500,status=503", "status is given twice"),
        ("1s:status=\u0665\u0660\u0660", "must be a code"),  # Arabic-Indic 500
    ],
)
def test_a_bad_phase_says_what_is_wrong(text, message):
    """Each mistake is one line that names it."""
    with pytest.raises(ValueError, match=r"\S") as caught:
        parse_phase(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@given(
    st.builds(
        Fault,
        status=st.one_of(st.none(), st.integers(200, 599)),
        status_chance=st.floats(0, 1),
        delay=st.floats(0, 86_400),
        delay_chance=st.floats(0, 1),
    )
)
def test_a_fault_reads_back_as_it_prints(fault):
    """`str(fault)` is the grammar: parsing it gives a fault that does the same."""
    again = parse_fault(str(fault))
    assert again.healthy == fault.healthy
    if not fault.healthy:
        assert str(again) == str(fault)


def test_a_schedule_is_healthy_until_its_first_phase_and_between_as_told():
    """Before the first phase: healthy; each phase lasts until the next."""
    schedule = Schedule.of(
        [
            parse_phase("25s:delay=3s@0.3"),
            parse_phase("10s:status=500@0.6"),
            parse_phase("40s:healthy"),
        ]
    )
    assert [phase.at for phase in schedule.phases] == [10.0, 25.0, 40.0]
    assert schedule.fault_at(0) == HEALTHY
    assert schedule.fault_at(9.999) == HEALTHY
    assert schedule.fault_at(10) == Fault(status=500, status_chance=0.6)
    assert schedule.fault_at(39.9) == Fault(delay=3.0, delay_chance=0.3)
    assert schedule.fault_at(1e9) == HEALTHY
    assert str(schedule) == "10s:status=500@0.6 25s:delay=3s@0.3 40s:healthy"
    assert not Schedule()


def test_two_phases_at_once_are_refused():
    """Which of two faults would hold at 10 s? Neither: one line says so."""
    with pytest.raises(ValueError, match="two phases start at 10s"):
        Schedule.of([parse_phase("10s:healthy"), parse_phase("10s:status=500")])
    with pytest.raises(ValueError, match="time order"):
        Schedule((parse_phase("10s:healthy"), parse_phase("5s:healthy")))


def test_a_fault_acts_at_its_chance_and_the_same_seed_repeats_it():
    """60 % of 10,000 requests fail, 30 % wait, independently; a seed repeats the draw."""
    fault = parse_fault("status=500@0.6,delay=3s@0.3")
    rng = random.Random(7)
    effects = [draw(fault, rng) for _ in range(10_000)]
    failed = sum(effect.status == 500 for effect in effects) / len(effects)
    slow = sum(effect.delay == 3.0 for effect in effects) / len(effects)
    both = sum(effect == Effect(500, 3.0) for effect in effects) / len(effects)
    assert failed == pytest.approx(0.6, abs=0.02)
    assert slow == pytest.approx(0.3, abs=0.02)
    assert both == pytest.approx(0.18, abs=0.02)
    again = random.Random(7)
    assert [draw(fault, again) for _ in range(10_000)] == effects


def test_health_draws_nothing():
    """A healthy phase leaves the rng where it was, so the faults after it draw the same."""
    rng = random.Random(1)
    state = rng.getstate()
    assert draw(HEALTHY, rng) is NO_EFFECT
    assert draw(parse_fault("status=500@0"), rng) is NO_EFFECT
    assert rng.getstate() == state


def test_the_schedule_decides_by_the_time_into_the_run():
    """`Schedule.effect(t, rng)` is the fault in force at t, drawn from rng."""
    schedule = Schedule.of([parse_phase("10s:status=503")])
    rng = random.Random(0)
    assert schedule.effect(5, rng) == NO_EFFECT
    assert schedule.effect(10, rng) == Effect(status=503)

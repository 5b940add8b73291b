import dataclasses

import pytest

from resilience_cli.errors import SnapshotError
from resilience_cli.patterns import BreakerConfig, BreakerState, CircuitBreaker, Transition
from resilience_cli.patterns.breaker import CALL_FAILED, CALL_OK, CALL_SLOW
from resilience_cli.state.memento import BreakerMemento, from_snapshot, to_snapshot
from resilience_cli.virtual_time import VIRTUAL_WALL_ORIGIN, VirtualClock

CONFIG = BreakerConfig(
    failure_threshold=3, open_for=2.0, half_open_max_calls=3, slow_call_duration=0.5
)


def half_open_with_one_probe_counted() -> tuple[CircuitBreaker, VirtualClock]:
    clock = VirtualClock()
    breaker = CircuitBreaker(CONFIG, clock=clock)
    for _ in range(3):
        breaker.record(breaker.acquire(), 0.1, "timeout")
    clock.jump(2.5)
    breaker.record(breaker.acquire(), 0.1)
    return breaker, clock


def test_a_memento_survives_its_json_form_unchanged():
    """of() -> to_json() -> from_json() gives back an equal memento, times and marks included."""
    breaker, _ = half_open_with_one_probe_counted()
    memento = BreakerMemento.of(breaker)
    assert memento.state is BreakerState.HALF_OPEN
    assert memento.half_open_since == VIRTUAL_WALL_ORIGIN + 2.5
    assert memento.probes_succeeded == 1
    assert BreakerMemento.from_json(memento.to_json()) == memento


def test_the_window_is_one_character_per_call_oldest_first():
    """ok, failed, slow and slow-and-failed calls are spelt '.', 'x', 's' and 'X'."""
    clock = VirtualClock()
    breaker = CircuitBreaker(
        BreakerConfig(failure_threshold=None, slow_call_duration=0.5), clock=clock
    )
    for duration, failure in [(0.1, None), (0.1, "http_5xx"), (0.9, None), (0.9, "timeout")]:
        breaker.record(breaker.acquire(), duration, failure)
    memento = BreakerMemento.of(breaker)
    assert memento.window == (CALL_OK, CALL_FAILED, CALL_SLOW, CALL_FAILED | CALL_SLOW)
    assert memento.to_json()["window"] == ".xsX"


def test_a_memento_is_a_frozen_value():
    """A memento cannot be changed in place; a changed copy is a new value."""
    memento = BreakerMemento.of(CircuitBreaker(clock=VirtualClock()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        memento.fail_count = 3  # type: ignore[misc]
    assert dataclasses.replace(memento, fail_count=3) != memento


def test_any_record_with_the_saved_fields_restores_a_breaker():
    """from_memento takes what a store hands it: here a memento built by hand, OPEN for 2 s."""
    clock = VirtualClock()
    opened = clock.wall() - 1.0
    saved = BreakerMemento(
        state=BreakerState.OPEN,
        fail_count=3,
        window=(CALL_FAILED,) * 3,
        opened_at=opened,
        open_for=2.0,
        half_open_since=None,
        probes_succeeded=0,
        transitions=(Transition(BreakerState.CLOSED, BreakerState.OPEN, opened, "tripped"),),
    )
    breaker = CircuitBreaker.from_memento(saved, CONFIG, clock=clock)
    assert breaker.open_remaining() == pytest.approx(1.0)
    assert breaker.consecutive_failures == 3
    assert BreakerMemento.of(breaker) == saved


def test_a_snapshot_without_open_for_takes_the_configurations():
    """An open wait left out of the file is the one the command runs with."""
    clock = VirtualClock()
    snapshot = {"format": 1, "state": "open", "opened_at": "2026-01-01T00:00:00+00:00"}
    assert BreakerMemento.from_json(snapshot).open_for is None
    breaker = from_snapshot(snapshot, BreakerConfig(open_for=7.0), clock=clock)
    assert breaker.open_remaining() == pytest.approx(7.0)


def test_half_open_fields_are_read_only_for_a_half_open_breaker():
    """A closed breaker's probes_succeeded means nothing: it is neither checked nor kept."""
    snapshot = {"format": 1, "state": "closed", "probes_succeeded": "many"}
    assert BreakerMemento.from_json(snapshot).probes_succeeded == 0
    with pytest.raises(SnapshotError, match="probes_succeeded must be a count"):
        BreakerMemento.from_json(snapshot | {"state": "half_open"})


def test_to_snapshot_is_the_memento_in_json():
    """The state file's breaker object is the memento's JSON form, nothing added."""
    breaker, _ = half_open_with_one_probe_counted()
    assert to_snapshot(breaker) == BreakerMemento.of(breaker).to_json()

"""`CircuitBreaker.try_acquire`: `acquire` without the exception, decision for decision."""

from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.errors import CircuitOpenError
from resilience_cli.patterns.breaker import BreakerConfig, CircuitBreaker
from resilience_cli.virtual_time import VirtualClock

steps = st.lists(
    st.one_of(
        st.tuples(st.just("call"), st.booleans(), st.sampled_from([0.01, 3.0])),
        st.tuples(st.just("wait"), st.sampled_from([0.5, 2.0, 5.0, 9.0]), st.none()),
        st.tuples(st.just("hold"), st.none(), st.none()),
    ),
    max_size=60,
)


@given(steps=steps, window_seconds=st.sampled_from([None, 3.0]))
def test_try_acquire_admits_and_refuses_exactly_as_acquire(steps, window_seconds):
    """Two breakers, same steps: one asked by acquire, one by try_acquire; they never differ."""
    config = BreakerConfig(
        failure_threshold=3,
        window_size=6,
        minimum_calls=4,
        window_duration=window_seconds,
        open_for=5.0,
        half_open_max_calls=2,
        half_open_max_wait=8.0,
        slow_call_duration=1.0,
    )
    clock = VirtualClock()
    raising = CircuitBreaker(config, clock=clock)
    quiet = CircuitBreaker(config, clock=clock)
    held: list[tuple[int, int]] = []
    for kind, first, second in steps:
        if kind == "wait":
            clock.jump(first)
            continue
        try:
            permit: int | None = raising.acquire()
        except CircuitOpenError:
            permit = None
        admitted = quiet.try_acquire()
        assert admitted == permit
        if permit is not None and admitted is not None:
            if kind == "hold":
                held.append((permit, admitted))  # a probe left in flight
            else:
                failure = "http_5xx" if first else None
                raising.record(permit, second, failure)
                quiet.record(admitted, second, failure)
        assert raising.state is quiet.state
        assert raising.transitions == quiet.transitions

import pytest

from resilience_cli.errors import CircuitOpenError, ConfigError, SnapshotError
from resilience_cli.limits import MAX_STORED_COUNT
from resilience_cli.patterns.breaker import (
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    WindowStats,
    elapsed_since,
    open_remaining,
    trip_reason,
)
from resilience_cli.patterns.events import EventList
from resilience_cli.state.memento import from_snapshot, to_snapshot
from resilience_cli.virtual_time import VirtualClock

RATE_ONLY = BreakerConfig(failure_threshold=None, window_size=20, minimum_calls=10)


@pytest.mark.parametrize(
    ("config", "consecutive", "stats", "expected"),
    [
        (BreakerConfig(), 4, WindowStats(4, 4, 0), None),
        (BreakerConfig(), 5, WindowStats(5, 5, 0), "5 consecutive failures >= threshold 5"),
        (RATE_ONLY, 9, WindowStats(9, 9, 0), None),  # minimum not met
        (
            RATE_ONLY,
            0,
            WindowStats(12, 6, 0),
            "failure rate 50% >= 50% over 12 calls, minimum 10 met",
        ),
        (RATE_ONLY, 0, WindowStats(12, 5, 0), None),
        (
            BreakerConfig(failure_threshold=None, failure_rate_threshold=None),
            0,
            WindowStats(20, 20, 0),
            None,
        ),
        (
            BreakerConfig(
                failure_threshold=None,
                failure_rate_threshold=None,
                slow_call_duration=2.0,
                slow_call_rate_threshold=0.5,
            ),
            0,
            WindowStats(10, 0, 6),
            "slow-call rate 60% >= 50% (calls over 2s) over 10 calls, minimum 10 met",
        ),
        (
            BreakerConfig(failure_threshold=None, slow_call_duration=2.0),
            0,
            WindowStats(10, 0, 9),
            None,  # the slow rate threshold defaults to 100 %
        ),
    ],
)
def test_trip_reason_table(config, consecutive, stats, expected):
    """trip_reason opens on consecutive failures or on a rate once the minimum is met."""
    assert trip_reason(config, consecutive, stats) == expected


@pytest.mark.parametrize(
    ("opened_at", "now", "open_for", "expected"),
    [(0, 0, 30, 30), (0, 10, 30, 20), (0, 30, 30, 0), (0, 99, 30, 0), (10, 0, 30, 30)],
)
def test_open_remaining_table(opened_at, now, open_for, expected):
    """The open wait left is never negative and never more than open_for."""
    assert open_remaining(opened_at, now, open_for) == expected


@pytest.mark.parametrize(("then", "now", "expected"), [(100, 160, 60), (100, 100, 0), (100, 40, 0)])
def test_elapsed_since_reads_a_backward_clock_as_no_time(then, now, expected):
    """A wall clock that went backwards counts as no time passed, never negative."""
    assert elapsed_since(then, now) == expected


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"failure_threshold": 0}, "breaker.failure_threshold"),
        ({"failure_rate_threshold": 1.5}, "breaker.failure_rate_threshold"),
        ({"failure_rate_threshold": 0}, "breaker.failure_rate_threshold"),
        ({"slow_call_rate_threshold": 0}, "breaker.slow_call_rate_threshold"),
        ({"window_size": 0}, "breaker.window_size"),
        ({"minimum_calls": 0}, "breaker.minimum_calls"),
        ({"minimum_calls": 21}, "breaker.minimum_calls"),
        ({"slow_call_duration": 0}, "breaker.slow_call_duration"),
        ({"open_for": -1}, "breaker.open_for"),
        ({"open_for": float("inf")}, "breaker.open_for"),
        ({"open_for": float("nan")}, "breaker.open_for"),
        ({"failure_rate_threshold": float("nan")}, "breaker.failure_rate_threshold"),
        ({"slow_call_duration": float("inf")}, "breaker.slow_call_duration"),
        ({"half_open_max_calls": 0}, "breaker.half_open_max_calls"),
        ({"half_open_max_wait": 0}, "breaker.half_open_max_wait"),
    ],
)
def test_config_rejects_nonsense_naming_the_field(kwargs, field):
    """A nonsense breaker setting raises ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        BreakerConfig(**kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith(field)


def fail(breaker: CircuitBreaker, times: int = 1, duration: float = 0.01) -> None:
    for _ in range(times):
        breaker.record(breaker.acquire(), duration, "http_5xx")


def succeed(breaker: CircuitBreaker, times: int = 1, duration: float = 0.01) -> None:
    for _ in range(times):
        breaker.record(breaker.acquire(), duration)


def make(config: BreakerConfig | None = None, **kwargs):
    clock = VirtualClock()
    events = EventList()
    breaker = CircuitBreaker(config or BreakerConfig(**kwargs), clock=clock, events=events)
    return breaker, clock, events


def test_consecutive_failures_open_the_breaker_with_a_reason_in_numbers():
    """Five failures in a row open it, and the event says so in numbers."""
    breaker, _, events = make()
    fail(breaker, 4)
    assert breaker.state is BreakerState.CLOSED
    fail(breaker)
    assert breaker.state is BreakerState.OPEN
    assert events.names() == ["breaker.opened"]
    assert events.events[0].reason == "5 consecutive failures >= threshold 5, so OPEN"


def test_a_success_resets_the_consecutive_count():
    """A success between failures starts the consecutive count again."""
    breaker, _, _ = make()
    fail(breaker, 4)
    succeed(breaker)
    fail(breaker, 4)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 4


def test_failure_rate_over_the_window_opens_once_the_minimum_is_met():
    """Alternating results trip a 50 % rate breaker at the tenth call, not before."""
    breaker, _, events = make(RATE_ONLY)
    for _ in range(4):
        succeed(breaker)
        fail(breaker)
    succeed(breaker)
    assert breaker.state is BreakerState.CLOSED  # 4 of 9: minimum not met
    fail(breaker)
    assert breaker.state is BreakerState.OPEN
    assert "failure rate 50% >= 50% over 10 calls, minimum 10 met" in events.events[-1].reason


def test_window_forgets_the_oldest_calls():
    """Failures that slid out of the window no longer count toward the rate."""
    breaker, _, _ = make(failure_threshold=None, window_size=4, minimum_calls=4)
    fail(breaker)
    succeed(breaker, 3)
    assert breaker.window == WindowStats(4, 1, 0)
    succeed(breaker)
    assert breaker.window == WindowStats(4, 0, 0)


def test_slow_calls_trip_the_slow_call_rate():
    """Successful calls slower than the threshold open the breaker by slow-call rate."""
    breaker, _, events = make(
        failure_threshold=None,
        window_size=4,
        minimum_calls=4,
        slow_call_duration=1.0,
        slow_call_rate_threshold=0.5,
    )
    succeed(breaker, 2, duration=0.1)
    succeed(breaker, 1, duration=1.5)
    assert breaker.state is BreakerState.CLOSED
    succeed(breaker, 1, duration=1.5)
    assert breaker.state is BreakerState.OPEN
    assert "slow-call rate 50% >= 50%" in events.events[-1].reason


def test_open_rejects_with_the_time_left():
    """An OPEN breaker refuses calls and says when it will half-open."""
    breaker, clock, _ = make(open_for=30)
    fail(breaker, 5)
    clock.jump(10)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.acquire()
    assert caught.value.retry_in == pytest.approx(20)
    assert breaker.open_remaining() == pytest.approx(20)


def test_half_open_admits_a_bounded_number_of_probes():
    """After the wait, only half_open_max_calls probes pass; the rest are refused at once."""
    breaker, clock, events = make(open_for=30, half_open_max_calls=2)
    fail(breaker, 5)
    clock.jump(30)
    first, second = breaker.acquire(), breaker.acquire()
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    breaker.record(first, 0.01)
    breaker.record(second, 0.01)
    assert breaker.state is BreakerState.CLOSED
    assert events.names() == ["breaker.opened", "breaker.half_opened", "breaker.closed"]
    assert events.events[-1].reason == "2 of 2 half-open probes succeeded, so CLOSED"


def test_a_failed_probe_reopens_at_once():
    """The first failed probe re-opens the breaker and restarts the open wait."""
    breaker, clock, _ = make(open_for=30, half_open_max_calls=3)
    fail(breaker, 5)
    clock.jump(30)
    fail(breaker)
    assert breaker.state is BreakerState.OPEN
    assert breaker.open_remaining() == pytest.approx(30)


def test_a_slow_probe_reopens():
    """A probe slower than the slow-call threshold counts as a failed probe."""
    breaker, clock, events = make(open_for=1, half_open_max_calls=1, slow_call_duration=0.5)
    fail(breaker, 5)
    clock.jump(1)
    succeed(breaker, duration=0.9)
    assert breaker.state is BreakerState.OPEN
    assert "slower than 0.5s" in events.events[-1].reason


def test_a_hung_probe_cannot_wedge_the_breaker():
    """With a probe outstanding past half_open_max_wait, the breaker re-opens."""
    breaker, clock, events = make(open_for=5, half_open_max_calls=1, half_open_max_wait=10)
    fail(breaker, 5)
    clock.jump(5)
    hung = breaker.acquire()
    clock.jump(10)
    assert breaker.state is BreakerState.OPEN
    assert "1 probe(s) outstanding" in events.events[-1].reason
    breaker.record(hung, 15.0)  # its late success belongs to an old epoch: ignored
    assert breaker.state is BreakerState.OPEN
    clock.jump(5)
    succeed(breaker)
    assert breaker.state is BreakerState.CLOSED


def test_release_returns_a_probe_permit():
    """A cancelled probe gives its permit back, so another probe may go."""
    breaker, clock, _ = make(open_for=1, half_open_max_calls=1)
    fail(breaker, 5)
    clock.jump(1)
    permit = breaker.acquire()
    breaker.release(permit)
    succeed(breaker)
    assert breaker.state is BreakerState.CLOSED


def test_results_from_an_earlier_state_are_ignored():
    """A call admitted while CLOSED that fails after the breaker opened changes nothing."""
    breaker, _, _ = make()
    late = breaker.acquire()
    fail(breaker, 5)
    breaker.record(late, 0.01, "timeout")
    assert breaker.consecutive_failures == 5


def test_force_open_rejects_everything_until_reset():
    """FORCED_OPEN refuses calls however long we wait; reset() closes it."""
    breaker, clock, events = make(open_for=1)
    breaker.force_open()
    clock.jump(3600)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.acquire()
    assert caught.value.state == "forced_open"
    assert caught.value.retry_in is None
    breaker.reset()
    assert breaker.state is BreakerState.CLOSED
    assert events.names() == ["breaker.forced_open", "breaker.closed"]


def test_reset_clears_counters_and_keeps_history():
    """reset() zeroes the counts and window but keeps the transitions for display."""
    breaker, _, _ = make()
    fail(breaker, 5)
    breaker.reset()
    assert breaker.consecutive_failures == 0
    assert breaker.window == WindowStats(0, 0, 0)
    assert [t.to_state for t in breaker.transitions] == [BreakerState.OPEN, BreakerState.CLOSED]
    assert breaker.opened_at is None


def test_reset_of_a_closed_breaker_emits_nothing():
    """Resetting a CLOSED breaker is not a transition."""
    breaker, _, events = make()
    breaker.reset()
    assert events.events == []


def test_snapshot_is_plain_json_with_wall_clock_times():
    """The snapshot is JSON-able and its times are wall-clock ISO 8601."""
    breaker, clock, _ = make()
    clock.jump(60)
    fail(breaker, 5)
    snapshot = to_snapshot(breaker)
    assert snapshot["state"] == "open"
    assert snapshot["fail_count"] == 5
    assert snapshot["window"] == "xxxxx"
    assert snapshot["opened_at"] == "2026-01-01T00:01:00+00:00"
    transitions = snapshot["transitions"]
    assert isinstance(transitions, list)
    assert transitions[0]["reason"] == "5 consecutive failures >= threshold 5, so OPEN"


def test_restored_open_breaker_half_opens_after_its_wall_clock_wait():
    """A later process, 30 s later by the wall clock, finds the breaker ready to half-open."""
    breaker, clock, _ = make(open_for=30)
    fail(breaker, 5)
    later = VirtualClock(wall_origin=clock.wall() + 10)  # a new process, 10 s on
    restored = from_snapshot(to_snapshot(breaker), breaker.config, clock=later)
    assert restored.state is BreakerState.OPEN
    assert restored.open_remaining() == pytest.approx(20)
    later.jump(20)
    assert restored.state is BreakerState.HALF_OPEN


def test_a_wall_clock_that_went_backwards_cannot_wedge_it_open():
    """Restored with the wall clock a year behind, the breaker waits open_for, not a year."""
    breaker, clock, _ = make(open_for=30)
    fail(breaker, 5)
    earlier = VirtualClock(wall_origin=clock.wall() - 365 * 86400)
    restored = from_snapshot(to_snapshot(breaker), breaker.config, clock=earlier)
    assert restored.open_remaining() == pytest.approx(30)
    earlier.jump(30)
    assert restored.state is BreakerState.HALF_OPEN


def test_a_restored_breaker_keeps_the_wait_it_opened_with():
    """A breaker opened with a 60 s wait stays open 60 s when restored under a 30 s config."""
    breaker, clock, _ = make(open_for=60)
    fail(breaker, 5)
    restored = from_snapshot(to_snapshot(breaker), BreakerConfig(open_for=30), clock=clock)
    assert restored.open_remaining() == pytest.approx(60)


def test_a_restored_half_open_with_enough_probes_closes():
    """Saved with more successful probes than this config wants, a restored breaker closes."""
    breaker, clock, _ = make(open_for=1, half_open_max_calls=5, half_open_max_wait=None)
    fail(breaker, 5)
    clock.jump(1)
    succeed(breaker, 3)
    assert breaker.state is BreakerState.HALF_OPEN
    restored = from_snapshot(
        to_snapshot(breaker), BreakerConfig(half_open_max_calls=3), clock=clock
    )
    assert restored.state is BreakerState.CLOSED
    assert (
        restored.transitions[-1].reason == "3 half-open probes had succeeded, 3 wanted, so CLOSED"
    )


def test_transitions_since_a_mark_ignore_clocks():
    """transitions_since counts transitions made after the mark, whatever the clocks say."""
    breaker, clock, _ = make(open_for=1)
    fail(breaker, 5)
    mark = breaker.transition_mark()
    clock.set_wall(0.0)  # a wall clock far in the past must not matter
    clock.jump(1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert [t.to_state for t in breaker.transitions_since(mark)] == [BreakerState.HALF_OPEN]
    assert breaker.transitions_since(breaker.transition_mark()) == ()


def test_restore_drops_probes_in_flight_of_the_dead_process():
    """A HALF_OPEN snapshot taken with a probe in flight offers that permit again."""
    breaker, clock, _ = make(open_for=1, half_open_max_calls=2, half_open_max_wait=None)
    fail(breaker, 5)
    clock.jump(1)
    succeed(breaker)
    breaker.acquire()  # in flight when the process stops
    restored = from_snapshot(to_snapshot(breaker), breaker.config, clock=clock)
    assert restored.state is BreakerState.HALF_OPEN
    succeed(restored)
    assert restored.state is BreakerState.CLOSED


def test_restore_keeps_the_window_and_the_history():
    """Counters, window and transitions survive a round trip."""
    breaker, clock, _ = make(failure_threshold=None)
    fail(breaker, 3)
    succeed(breaker, 2)
    breaker.force_open("maintenance")
    restored = from_snapshot(to_snapshot(breaker), breaker.config, clock=clock)
    assert restored.state is BreakerState.FORCED_OPEN
    assert restored.window == WindowStats(5, 3, 0)
    assert restored.transitions == breaker.transitions
    assert to_snapshot(restored) == to_snapshot(breaker)


def test_a_fail_count_at_its_bound_stays_there_so_the_snapshot_restores():
    """One more failure on a fail count of 2**63 - 1 keeps it there: the file stays readable."""
    breaker, clock, _ = make(failure_threshold=None)
    at_bound = to_snapshot(breaker) | {"fail_count": MAX_STORED_COUNT}
    restored = from_snapshot(at_bound, breaker.config, clock=clock)
    fail(restored)
    again = from_snapshot(to_snapshot(restored), breaker.config, clock=clock)
    assert again.consecutive_failures == MAX_STORED_COUNT


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, "format 2 is not 1"),
        ({"state": "ajar"}, "state 'ajar' is not a state"),
        ({"fail_count": -1}, "fail_count must be a count"),
        ({"fail_count": True}, "fail_count must be a count"),
        ({"open_for": "long"}, "open_for must be seconds"),
        ({"open_for": -1}, "open_for must be seconds"),
        ({"window": "xx?"}, "window must use only"),
        ({"window": 7}, "window must use only"),
        ({"opened_at": 5}, "opened_at must be an ISO 8601 time"),
        ({"opened_at": "yesterday"}, "opened_at 'yesterday' is not a usable ISO 8601 time"),
        (
            {"opened_at": "0001-01-01T00:00:00+05:00"},
            r"opened_at '0001-01-01T00:00:00\+05:00' is not",
        ),
        ({"open_for": float("inf")}, "open_for must be seconds"),
        ({"open_for": float("nan")}, "open_for must be seconds"),
        ({"open_for": 10**400}, r"open_for must be seconds from 0 to 86400, got 1000.*\.\.\."),
        ({"open_for": 86_401}, "open_for must be seconds from 0 to 86400"),
        ({"fail_count": 2**63}, "fail_count must be a count from 0 to 2"),
        (
            {"state": "forced_open", "opened_at": "0001-01-01T00:00:00+00:00"},
            r"opened_at '0001-01-01T00:00:00\+00:00' is not a usable ISO 8601 time",
        ),
        ({"opened_at": "1969-12-31T23:59:59+00:00"}, "from 1970 to 9999"),
        (
            {
                "transitions": [
                    {
                        "from": "closed",
                        "to": "open",
                        "at": "9999-12-31T23:59:59-05:00",
                        "reason": "",
                    }
                ]
            },
            r"transitions\[0\]|at '9999",
        ),
        ({"state": "open", "opened_at": None}, "state open needs opened_at"),
        ({"transitions": {}}, "transitions must be a list"),
        ({"transitions": [1]}, r"transitions\[0\] must be an object"),
        ({"transitions": [{"from": "closed", "to": "open"}]}, "needs 'at' and a text 'reason'"),
        (
            {
                "transitions": [
                    {"from": "x", "to": "open", "at": "2026-01-01T00:00:00", "reason": ""}
                ]
            },
            r"transitions\[0\].from 'x' is not a state",
        ),
    ],
)
def test_restore_names_what_is_wrong(change, message):
    """A corrupt snapshot raises SnapshotError naming the bad field."""
    snapshot = to_snapshot(make()[0]) | change
    with pytest.raises(SnapshotError, match=message):
        from_snapshot(snapshot, clock=VirtualClock())


def test_naive_iso_times_are_read_as_utc():
    """A timestamp without a zone is taken as UTC."""
    breaker, clock, _ = make(open_for=30)
    fail(breaker, 5)
    snapshot = to_snapshot(breaker) | {"opened_at": "2026-01-01T00:00:00"}
    restored = from_snapshot(snapshot, breaker.config, clock=clock)
    assert restored.opened_at == pytest.approx(clock.wall())


# -- the rate rules on every outcome (issue #7, item 1) ------------------------------------


def test_a_success_that_brings_the_window_to_its_minimum_can_trip_it():
    """FAIL then ok: 1 of 2 calls failed, 50 % >= 50 % once the minimum of 2 is met: OPEN."""
    breaker, _, events = make(
        failure_threshold=None, failure_rate_threshold=0.5, window_size=2, minimum_calls=2
    )
    fail(breaker)
    succeed(breaker)
    assert breaker.state is BreakerState.OPEN
    assert events.events[-1].reason == (
        "failure rate 50% >= 50% over 2 calls, minimum 2 met, so OPEN"
    )


@pytest.mark.parametrize("trace", ["FFFFFooooo", "oooooFFFFF", "FoFoFoFoFo", "ooFFFFFooo"])
def test_the_order_of_outcomes_in_the_window_does_not_matter(trace):
    """5 failures in 10 calls open a 50 % rate breaker at the tenth call, whatever the order."""
    breaker, _, _ = make(failure_threshold=None)
    for index, outcome in enumerate(trace):
        assert breaker.state is BreakerState.CLOSED, f"opened early, at call {index}"
        if outcome == "F":
            fail(breaker)
        else:
            succeed(breaker)
    assert breaker.state is BreakerState.OPEN


def test_a_restored_window_over_the_rate_trips_on_the_next_success():
    """A window restored at 6 failures in 10 trips on the next outcome, a success too."""
    clock = VirtualClock()
    saved = to_snapshot(CircuitBreaker(RATE_ONLY, clock=clock)) | {"window": "xxxxxx...."}
    restored = from_snapshot(saved, RATE_ONLY, clock=clock)
    assert restored.state is BreakerState.CLOSED  # restoring decides nothing by itself
    succeed(restored)
    assert restored.state is BreakerState.OPEN
    assert "failure rate 55% >= 50% over 11 calls" in restored.transitions[-1].reason


def test_a_slow_success_counts_toward_the_rate_of_failures_too():
    """A slow success is still a success for the failure rate: it lowers it."""
    breaker, _, _ = make(
        failure_threshold=None,
        window_size=4,
        minimum_calls=4,
        slow_call_duration=1.0,
        slow_call_rate_threshold=1.0,
    )
    fail(breaker)
    succeed(breaker, 3, duration=1.5)
    assert breaker.state is BreakerState.CLOSED  # 1 of 4 failed, 3 of 4 slow: neither rule


# -- half_open_max_wait runs from the first probe (issue #7, item 2) -----------------------


def test_a_read_does_not_start_the_half_open_max_wait():
    """Read HALF_OPEN at t=31, call at t=100: the call is the first probe, and it is let in."""
    breaker, clock, _ = make(open_for=30, half_open_max_wait=60)
    fail(breaker, 5)
    clock.jump(31)
    assert breaker.state is BreakerState.HALF_OPEN
    clock.jump(69)
    breaker.acquire()  # no CircuitOpenError: no probe has been waiting
    assert breaker.state is BreakerState.HALF_OPEN


def test_the_max_wait_counts_from_the_first_admitted_probe():
    """The first probe starts the clock: 60 s after it, with no verdict, it re-opens."""
    breaker, clock, events = make(open_for=30, half_open_max_calls=2, half_open_max_wait=60)
    fail(breaker, 5)
    clock.jump(50)
    breaker.acquire()  # the first probe, at t=50, hangs
    clock.jump(59)
    assert breaker.state is BreakerState.HALF_OPEN
    clock.jump(1)
    assert breaker.state is BreakerState.OPEN
    assert events.events[-1].reason == (
        "half-open 60s since the first probe >= max 60s with 1 probe(s) outstanding, so OPEN"
    )


def test_a_probe_that_succeeds_after_the_max_wait_cannot_close_it():
    """A probe whose success arrives 60 s after it was let in finds the breaker re-opened."""
    breaker, clock, _ = make(open_for=30, half_open_max_calls=1, half_open_max_wait=60)
    fail(breaker, 5)
    clock.jump(30)
    probe = breaker.acquire()
    clock.jump(60)
    breaker.record(probe, 60.0)  # no read in between: record() applies time first
    assert breaker.state is BreakerState.OPEN


def test_a_re_open_by_the_max_wait_counts_from_when_it_was_due():
    """Noticed late, a re-open by the max wait dates from when the wait ran out."""
    breaker, clock, events = make(open_for=30, half_open_max_calls=1, half_open_max_wait=60)
    fail(breaker, 5)
    clock.jump(30)
    breaker.acquire()  # hangs; the max wait runs out at t=90
    clock.jump(80)  # t=110: re-opened at t=90, so 10 s of its 30 s open wait are gone
    assert breaker.open_remaining() == pytest.approx(10)
    assert breaker.opened_at == pytest.approx(clock.wall() - 20)
    clock.jump(10)
    breaker.acquire()
    assert events.names()[-2:] == ["breaker.opened", "breaker.half_opened"]


def test_a_probe_given_back_restarts_the_max_wait():
    """When every admitted probe is given back unrun, the next probe starts the clock anew."""
    breaker, clock, _ = make(open_for=30, half_open_max_calls=1, half_open_max_wait=60)
    fail(breaker, 5)
    clock.jump(30)
    breaker.release(breaker.acquire())  # e.g. no token for it
    clock.jump(100)
    probe = breaker.acquire()
    breaker.record(probe, 0.01)
    assert breaker.state is BreakerState.CLOSED


def test_reset_of_a_closed_breaker_ignores_results_admitted_before_it():
    """A call admitted before reset() cannot land in the cleared window."""
    breaker, _, _ = make()
    fail(breaker, 4)
    before = breaker.acquire()
    breaker.reset()
    breaker.record(before, 0.01, "http_5xx")
    assert breaker.window == WindowStats(0, 0, 0)
    assert breaker.consecutive_failures == 0


def test_a_restored_half_open_breaker_with_no_probe_admits_one():
    """Saved half-open with a probe in flight, restored 69 s later: the next call is let in."""
    breaker, clock, _ = make(open_for=30, half_open_max_calls=1, half_open_max_wait=60)
    fail(breaker, 5)
    clock.jump(31)
    breaker.acquire()  # in flight when the process stops
    later = VirtualClock(wall_origin=clock.wall() + 69)
    restored = from_snapshot(to_snapshot(breaker), breaker.config, clock=later)
    probe = restored.acquire()
    restored.record(probe, 0.01)
    assert restored.state is BreakerState.CLOSED


def test_a_restored_half_open_breaker_keeps_the_clock_of_its_counted_probes():
    """Saved with one probe succeeded at t=31, restored at t=100: the max wait has run out."""
    breaker, clock, _ = make(open_for=30, half_open_max_calls=2, half_open_max_wait=60)
    fail(breaker, 5)
    clock.jump(31)
    succeed(breaker)
    later = VirtualClock(wall_origin=clock.wall() + 69)
    restored = from_snapshot(to_snapshot(breaker), breaker.config, clock=later)
    assert restored.state is BreakerState.OPEN

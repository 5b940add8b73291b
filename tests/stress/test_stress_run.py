"""A stress run on the virtual clock: open-loop arrivals, drops, lateness, phases, the series."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

import httpx
import pytest

from resilience_cli.faults import Schedule, parse_phase
from resilience_cli.measure import summarize
from resilience_cli.measure.series import Window
from resilience_cli.patterns import (
    BreakerConfig,
    BreakerState,
    BulkheadConfig,
    Policies,
    Reason,
    RetryConfig,
    TimeoutConfig,
)
from resilience_cli.reporting.stress import stress_document
from resilience_cli.request import Request
from resilience_cli.state import JsonFileStore
from resilience_cli.stress.profile import LoadProfile
from resilience_cli.stress.run import StressPlan, run_stress
from resilience_cli.targets import InProcessTarget
from resilience_cli.upstream.fault_control import LiveFaults

GET = Request("/get")
SLOW = Request("/delay/1")
DEMO = Schedule.of(parse_phase(text) for text in ("10s:status=500@0.6", "25s:healthy"))


def plan(
    rate=20.0,
    duration=10.0,
    *,
    endpoint=GET,
    max_in_flight=500,
    windows=(),
    **policies,
) -> StressPlan:
    chosen = {"rate_limiter": None, "bulkhead": None, **policies}
    return StressPlan(
        profile=LoadProfile.constant(rate, duration),
        mix=(endpoint,),
        policies=Policies(**chosen),
        max_in_flight=max_in_flight,
        interval=1.0,
        seed=3,
        windows=tuple(windows),
    )


async def stress(clock, tmp_path, the_plan, schedule=None, target=None):
    faults = None if schedule is None else LiveFaults(schedule, clock=clock.monotonic, seed=3)
    return await run_stress(
        the_plan,
        clock=clock,
        store=JsonFileStore(tmp_path / "breaker.json", clock=clock),
        target=target or InProcessTarget(3, clock.wall, faults),
        faults=faults,
    )


async def test_arrivals_follow_the_clock_not_the_answers(clock, tmp_path):
    """A 1 s upstream at 20/s: all 200 arrivals come on time; 20 calls are in flight at once."""
    result = await stress(clock, tmp_path, plan(endpoint=SLOW, timeout=None))
    assert result.arrivals == 200
    assert result.dropped == 0
    assert result.lateness.max == 0.0
    assert result.peak_in_flight == 20
    assert result.tally.calls == 200
    assert [row.arrivals for row in result.rows[:10]] == [20] * 10
    assert result.tally.total().latencies.min == pytest.approx(1.0)


async def test_an_arrival_past_max_in_flight_is_dropped_and_counted(clock, tmp_path):
    """At most 5 in flight for 1 s calls at 20/s: 15 of each second's 20 arrivals are dropped."""
    result = await stress(clock, tmp_path, plan(endpoint=SLOW, timeout=None, max_in_flight=5))
    assert (result.arrivals, result.dropped, result.tally.calls) == (200, 150, 50)
    assert result.peak_in_flight == 5
    assert all(row.dropped == 15 for row in result.rows[:10])
    summary = summarize(result, "stress")
    assert (summary.planned, summary.concurrency) == (200, 5)


async def test_latency_counts_from_the_scheduled_arrival(clock, tmp_path):
    """A loop stalled for 0.5 s launches late; those calls' latency includes the wait."""
    stalled = False

    class StallingTarget(InProcessTarget):
        def transport(self) -> httpx.AsyncBaseTransport | None:
            inner = super().transport()

            class Stall(httpx.AsyncBaseTransport):
                async def handle_async_request(self, request):
                    nonlocal stalled
                    if not stalled:
                        stalled = True
                        clock.jump(0.5)  # the loop is busy for half a second: nothing runs
                    assert inner is not None
                    return await inner.handle_async_request(request)

            return Stall()

    result = await stress(clock, tmp_path, plan(), target=StallingTarget(3, clock.wall))
    # The arrival due at 0.05 s was launched at 0.5 s, with the nine after it.
    assert result.lateness.max == pytest.approx(0.45)
    assert result.lateness.percentile(96) > 0  # 9 of 200 arrivals: 4.5 %
    assert result.arrivals == 200
    first = result.rows[0]
    assert first.p99 == pytest.approx(0.5, rel=0.01)  # late launches count their wait
    assert sum(row.completions for row in result.rows) == 200


async def test_the_breaker_opens_as_the_upstream_degrades_and_closes_when_it_heals(clock, tmp_path):
    """Healthy, 60 % errors from 10 s, healthy from 25 s: OPEN in the middle, CLOSED at the end."""
    windows = (Window(10, 25), Window(30, 40))
    the_plan = plan(
        duration=40,
        windows=windows,
        breaker=BreakerConfig(open_for=5),
        retry=RetryConfig(attempts=1),
    )
    result = await stress(clock, tmp_path, the_plan, schedule=DEMO)
    states = [row.gauges.breaker for row in result.rows]
    assert set(states[:10]) == {BreakerState.CLOSED}
    assert BreakerState.OPEN in states[10:25]
    assert set(states[27:]) == {BreakerState.CLOSED}
    assert BreakerState.OPEN in result.series.states_in(windows[0])
    assert result.series.states_in(windows[1]) == (BreakerState.CLOSED,)
    degraded = result.series.span(windows[0])
    assert degraded.reasons[Reason.BREAKER_OPEN] > 0
    healed = result.series.span(windows[1])
    assert (healed.calls, healed.succeeded) == (200, 200)
    opened = [m for m in result.moments if m.transition.to_state is BreakerState.OPEN]
    assert 10 <= opened[0].at < 12
    assert result.after.state is BreakerState.CLOSED
    assert (tmp_path / "breaker.json").exists()


async def test_a_seed_gives_the_same_run_every_time(clock, tmp_path):
    """Two virtual-time runs of one plan and seed: the same series, to the last field."""

    def document(result):
        return stress_document(
            rows=result.rows,
            moments=result.moments,
            transition_count=result.transition_count,
            arrivals=result.arrivals,
            dropped=result.dropped,
            lateness=result.lateness,
            duration=result.duration,
            interval=result.interval,
            max_in_flight=result.plan.max_in_flight,
            phases="",
            planned_rate=result.planned_rate,
            achieved_rate=result.achieved_rate,
        )

    the_plan = plan(duration=30, breaker=BreakerConfig(open_for=5))
    first = await stress(clock, tmp_path / "a", the_plan, schedule=DEMO)
    second = await stress(clock, tmp_path / "b", the_plan, schedule=DEMO)
    assert document(first) == document(second)
    assert first.moments


async def test_rows_hold_every_arrival_and_completion_once(clock, tmp_path):
    """One row per interval; arrivals and completions add up to the run's totals."""
    result = await stress(clock, tmp_path, plan(rate=33, duration=7.5, endpoint=SLOW, timeout=None))
    last_arrival = 247 / 33
    ends = [row.end for row in result.rows]
    assert ends == pytest.approx([1, 2, 3, 4, 5, 6, 7, 8, last_arrival + 1])
    assert sum(row.arrivals for row in result.rows) == result.arrivals == 248
    assert sum(row.completions for row in result.rows) == result.tally.calls == 248
    assert result.rows[-1].arrivals == 0  # the last calls finished after the last arrival
    assert result.elapsed == pytest.approx(last_arrival + 1)


async def test_calls_past_the_grace_period_are_cut(clock, tmp_path, monkeypatch):
    """Calls still in flight GRACE after the last arrival are cut, their attempts counted."""
    monkeypatch.setattr("resilience_cli.stress.run.GRACE", 0.5)
    never = Request("/delay/10")
    result = await stress(clock, tmp_path, plan(rate=2, duration=2, endpoint=never, timeout=None))
    assert (result.arrivals, result.tally.calls, result.tally.cut_short) == (4, 0, 4)
    assert result.elapsed == pytest.approx(2.5)


async def test_ctrl_c_stops_arrivals_saves_the_breaker_and_keeps_what_finished(clock, tmp_path):
    """Cancelled at 3.52 s: interrupted, what finished counted, the calls in flight cut."""
    the_plan = plan(endpoint=SLOW, timeout=None, breaker=BreakerConfig())
    task = asyncio.create_task(stress(clock, tmp_path, the_plan))
    await asyncio.sleep(3.52)
    task.cancel()
    result = await task
    assert result.interrupted
    assert result.arrivals == 71  # 0 s to 3.5 s, every 0.05 s
    assert result.tally.calls == 51  # those that came by 2.5 s had finished; 20 were cut
    assert result.tally.cut_short == 20
    assert result.rows[-1].end == pytest.approx(3.52)
    assert (tmp_path / "breaker.json").exists()


async def test_bulkhead_and_limiter_show_in_each_row(clock, tmp_path):
    """Each row reads the bulkhead (in use, queued) and the limiter's tokens at its end."""
    the_plan = plan(
        rate=50,
        duration=3,
        endpoint=Request("/delay/0.2"),
        bulkhead=BulkheadConfig(max_concurrent=5, max_queue=50, max_wait=10),
        timeout=TimeoutConfig(attempt=2, total=10),
    )
    result = await stress(clock, tmp_path, the_plan)
    busy = result.rows[1].gauges
    assert busy.bulkhead_in_use == 5
    assert busy.bulkhead_queued is not None
    assert busy.bulkhead_queued > 0
    assert busy.tokens is None  # the limiter is off


async def test_a_run_keeps_counts_not_calls(clock, tmp_path):
    """Ten times the arrivals cost no more than a few bytes an arrival: no list of calls."""

    async def held(duration):
        gc.collect()
        tracemalloc.start()
        try:
            the_plan = plan(rate=200, duration=duration, retry=RetryConfig(attempts=1))
            await stress(clock, tmp_path / str(duration), the_plan)
            gc.collect()
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    small = await held(2)
    large = await held(20)
    assert (large - small) / 3600 < 100  # bytes per extra arrival: its row share only


async def test_the_target_starts_before_the_first_arrival_is_due(clock, tmp_path):
    """A target whose start holds the loop 0.5 s: no arrival is late for it, nor slower."""

    class SlowStart(InProcessTarget):
        async def start(self) -> str:
            clock.jump(0.5)  # imports, a server, TLS: the loop is busy, nothing else runs
            return await super().start()

    result = await stress(clock, tmp_path, plan(duration=2), target=SlowStart(3, clock.wall))
    assert result.lateness.max == 0.0
    assert result.tally.total().latencies.max < 0.1
    assert result.arrivals == 40
    assert result.elapsed == pytest.approx(2.0)


def stalling_target(clock, on_request: int, seconds: float):
    """An in-process target whose `on_request`-th request holds the whole loop `seconds`."""
    seen = 0

    class StallingTarget(InProcessTarget):
        def transport(self) -> httpx.AsyncBaseTransport | None:
            inner = super().transport()

            class Stall(httpx.AsyncBaseTransport):
                async def handle_async_request(self, request):
                    nonlocal seen
                    seen += 1
                    if seen == on_request:
                        clock.jump(seconds)  # the loop is busy: no arrival is launched
                    assert inner is not None
                    return await inner.handle_async_request(request)

            return Stall()

    return StallingTarget(3, clock.wall)


def achieved_rate(result) -> object:
    return stress_document(
        rows=result.rows,
        moments=result.moments,
        transition_count=result.transition_count,
        arrivals=result.arrivals,
        dropped=result.dropped,
        lateness=result.lateness,
        duration=result.duration,
        interval=result.interval,
        max_in_flight=result.plan.max_in_flight,
        phases="",
        planned_rate=result.planned_rate,
        achieved_rate=result.achieved_rate,
    )["achieved_rate"]


async def test_the_achieved_rate_counts_the_span_the_launches_took(clock, tmp_path):
    """A loop held 1 s at 9.45 s launches the rest late, the last 0.5 s late: 200 in 10.5 s."""
    on_time = await stress(clock, tmp_path / "a", plan())
    assert achieved_rate(on_time) == 20.0
    late = await stress(clock, tmp_path / "b", plan(), target=stalling_target(clock, 190, 1.0))
    assert late.arrivals == 200
    assert late.lateness.max == pytest.approx(0.95)  # the arrival due at 9.5 s
    assert achieved_rate(late) == pytest.approx(200 / 10.5, abs=1e-3)


async def test_an_interrupted_run_rates_its_arrivals_over_the_time_they_had(clock, tmp_path):
    """Cut at 4 s into a 10 s run at 20/s: 80 arrivals in 4 s is 20/s, not 80 in 10 s."""
    task = asyncio.ensure_future(stress(clock, tmp_path, plan()))
    await asyncio.sleep(3.99)
    task.cancel()
    result = await task
    assert result.interrupted
    assert result.arrivals == 80
    assert achieved_rate(result) == pytest.approx(20.0, abs=0.1)

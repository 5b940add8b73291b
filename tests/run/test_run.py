import asyncio
import gc
import json
import random
import tracemalloc
from dataclasses import replace

import pytest

from resilience_cli import run as run_module
from resilience_cli.errors import StateFileError
from resilience_cli.mix import parse_mix
from resilience_cli.patterns import BreakerConfig, BreakerState, Policies, Reason, RetryConfig
from resilience_cli.patterns.events import EventList
from resilience_cli.request import Request
from resilience_cli.run import RunPlan, execute, plan_requests
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget

GET = Request("/get")
ERROR = Request("/status/500")
SLOW = Request("/delay/5")


def plan(*calls: Request, concurrency: int = 1, **policies) -> RunPlan:
    return RunPlan(
        calls=calls,
        policies=Policies(rate_limiter=None, **policies),
        concurrency=concurrency,
        seed=1,
    )


class CountingTarget(InProcessTarget):
    """The in-process upstream, counting how often it was started."""

    def __init__(self, clock) -> None:
        super().__init__(0, clock.wall)
        self.starts = 0

    async def start(self) -> str:
        self.starts += 1
        return await super().start()


def test_plan_mix_is_seeded():
    """The same seed draws the same call plan; another seed another one."""
    mix = [GET, ERROR]
    assert plan_requests(20, mix, 5) == plan_requests(20, mix, 5)
    assert plan_requests(20, mix, 5) != plan_requests(20, mix, 6)
    assert len(plan_requests(20, mix, 5)) == 20


async def test_a_run_persists_the_breaker_it_opened(clock, tmp_path):
    """Twenty errors open the breaker, and the state file says OPEN afterwards."""
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    result = await execute(
        plan(*[ERROR] * 20), clock=clock, store=store, target=CountingTarget(clock)
    )
    assert result.before.state is BreakerState.CLOSED
    assert result.after.state is BreakerState.OPEN
    assert [t.to_state for t in result.transitions] == [BreakerState.OPEN]
    saved = store.load()
    assert saved is not None
    assert saved["state"] == "open"


async def test_an_open_breaker_answers_the_next_run_without_the_network(clock, tmp_path):
    """After a run left the breaker OPEN, the next run falls back and never starts a target."""
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    await execute(plan(*[ERROR] * 20), clock=clock, store=store, target=CountingTarget(clock))
    target = CountingTarget(clock)
    result = await execute(plan(*[GET] * 5), clock=clock, store=store, target=target)
    assert target.starts == 0
    assert result.tally.fallbacks_by_reason == ((Reason.BREAKER_OPEN, 5),)


async def test_the_open_window_is_measured_by_the_wall_clock_between_runs(clock, tmp_path):
    """After open_for has passed, the next run probes, succeeds and closes the breaker."""
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    breaker = BreakerConfig(open_for=30, half_open_max_calls=1)
    await execute(
        plan(*[ERROR] * 10, breaker=breaker), clock=clock, store=store, target=CountingTarget(clock)
    )
    clock.jump(31)
    result = await execute(
        plan(GET, GET, breaker=breaker), clock=clock, store=store, target=CountingTarget(clock)
    )
    assert result.before.state is BreakerState.HALF_OPEN
    assert result.after.state is BreakerState.CLOSED


async def test_events_reach_the_sink(clock, tmp_path):
    """Every decision of the run goes to the injected event sink."""
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    events = EventList()
    await execute(
        plan(*[ERROR] * 3), clock=clock, store=store, target=CountingTarget(clock), events=events
    )
    assert "retry.scheduled" in events.names()
    assert "breaker.opened" in events.names()
    assert events.names()[-1] == "call.fell_back"


async def test_concurrency_is_respected_and_measured(clock, tmp_path):
    """Ten workers over twenty slow calls: peak in flight is ten, every call is counted."""
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    result = await execute(
        plan(*[Request("/delay/1")] * 20, concurrency=10, bulkhead=None),
        clock=clock,
        store=store,
        target=CountingTarget(clock),
    )
    assert result.peak_in_flight == 10
    assert result.tally.calls == 20
    assert result.elapsed == pytest.approx(2, abs=0.01)  # two waves of ten 1 s calls


async def test_cancelling_a_run_saves_the_state_and_keeps_the_partial_result(clock, tmp_path):
    """Ctrl-C (cancellation) mid-run returns the finished calls and saves the breaker."""
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    slow_plan = plan(GET, *[SLOW] * 5, retry=RetryConfig(attempts=1), timeout=None, bulkhead=None)
    task = asyncio.create_task(
        execute(slow_plan, clock=clock, store=store, target=CountingTarget(clock))
    )
    await asyncio.sleep(2)
    task.cancel()
    result = await task
    assert result.interrupted
    assert result.tally.calls == 1
    assert store.load() is not None


async def test_a_corrupt_snapshot_names_the_file_and_the_way_out(clock, tmp_path):
    """A state file holding a bad breaker raises StateFileError pointing at reset."""
    path = tmp_path / "breaker.json"
    store = JsonFileStore(path, clock=clock)
    store.save({"format": 1, "state": "ajar"})
    before = path.read_bytes()
    with pytest.raises(StateFileError, match="resilience reset"):
        await execute(plan(GET), clock=clock, store=store, target=CountingTarget(clock))
    assert path.read_bytes() == before
    assert json.loads(before)["breaker"]["state"] == "ajar"


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 2**63 - 1])
@pytest.mark.parametrize("weights", [(1.0, 1.0), (0.6, 0.2, 0.2), (1e-9, 1_000_000.0, 3.0), (5.0,)])
def test_the_drawn_plan_is_the_sequence_choices_would_draw(seed, weights):
    """Drawn one call at a time, the plan is exactly `Random(seed).choices(..., k=count)`."""
    requests = [
        replace(request, weight=weight)
        for request, weight in zip([GET, ERROR, SLOW], weights, strict=False)
    ]
    expected = random.Random(seed).choices(requests, weights, k=500)
    assert list(plan_requests(500, requests, seed)) == expected
    assert list(plan_requests(500, requests, seed)) == expected  # each pass starts afresh


def test_a_plan_of_a_million_calls_costs_no_memory_until_it_runs():
    """The plan is drawn as the run takes calls: making it allocates almost nothing."""
    tracemalloc.start()
    try:
        calls = plan_requests(1_000_000, [GET, ERROR], 3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(calls) == 1_000_000
    assert peak < 100_000


async def test_a_run_offers_no_more_calls_at_once_than_it_makes(clock, tmp_path, monkeypatch):
    """Two calls at a concurrency of 1,000 build one client for two calls, not 200 clients."""
    asked: list[int] = []

    class Recording(run_module.ResilientClient):
        def __init__(self, *args, concurrency: int = 1, **kwargs) -> None:
            asked.append(concurrency)
            super().__init__(*args, concurrency=concurrency, **kwargs)

    monkeypatch.setattr(run_module, "ResilientClient", Recording)
    store = JsonFileStore(tmp_path / "breaker.json", clock=clock)
    result = await execute(
        plan(GET, GET, concurrency=1000), clock=clock, store=store, target=CountingTarget(clock)
    )
    assert result.tally.calls == 2
    assert asked == [2]


async def held_after_run(calls: int, clock, tmp_path) -> int:
    """Bytes still allocated once a run of `calls` failing calls returned its result."""
    store = JsonFileStore(tmp_path / f"breaker-{calls}.json", clock=clock)
    tracemalloc.start()
    try:
        result = await execute(
            plan(*[ERROR] * calls), clock=clock, store=store, target=CountingTarget(clock)
        )
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.tally.calls == calls
    return held


async def test_a_run_keeps_numbers_not_calls(clock, tmp_path):
    """5,000 more calls leave the result under 100 bytes a call bigger: no list of calls.

    A run used to keep every call's record (outcome, attempts, endpoint), hundreds of
    bytes each; now it counts each call as it ends, its duration in a bounded histogram.
    """
    small = await held_after_run(500, clock, tmp_path)
    large = await held_after_run(5_500, clock, tmp_path)
    assert (large - small) / 5_000 < 100


# Drawn by the `MixDraw` of the release before requests became values: a `--mix` and a
# seed still make the very same calls.
PINNED = [
    (
        "/get:0.6,/delay/3:0.2,/status/500:0.2",
        0,
        "/status/500 /delay/3 /get /get /get /get /delay/3 /get /get /get /status/500 /get",
    ),
    (
        "/get:3,/status/200,500:1",
        3,
        "/get /get /get /get /get /get /get /status/200,500 /get /get /status/200,500 /get",
    ),
    (
        "/status/503:1,/delay/5:1,/get:1",
        5,
        "/delay/5 /get /get /get /get /get /status/503 /delay/5 /get /delay/5 /get /status/503",
    ),
]


@pytest.mark.parametrize(("mix", "seed", "expected"), PINNED)
def test_a_mix_and_a_seed_draw_the_calls_they_always_drew(mix, seed, expected):
    """The requests drawn for a `--mix` are those of earlier releases, call for call."""
    drawn = [request.label for request in plan_requests(12, parse_mix(mix), seed)]
    assert drawn == expected.split()

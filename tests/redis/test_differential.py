"""The Redis script decides as the Python breaker does: trace by trace, step by step.

Thousands of seeded random traces (acquire, success, failure, slow call, release, clock
advance, and now and then force-open or reset) go through an in-memory `CircuitBreaker`
and through the Redis store, driven by one controlled clock. After every step the two
must have made the same decision (admitted, or refused with the same time to half-open),
the same transitions (from, to, time, reason), and hold the same record.

The clock: the store's `time_source` passes the time into the script, which otherwise
reads the server's `TIME`. That is the one difference from production, and it is needed:
no test can set a Redis server's clock. Times are multiples of 1/8 s around 10^6 s, so
every sum and difference is exact in binary floating point on both sides, and a wait that
ends exactly on a boundary (`>=`) is hit, not missed by a rounding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from resilience_cli.errors import CircuitOpenError
from resilience_cli.patterns import BreakerConfig, BreakerState, CircuitBreaker
from resilience_cli.state.redis_store import RedisStore

pytestmark = pytest.mark.linux_service("redis-server")

TRACES = 2000
STEPS = 30
START = 1_000_000.0


@dataclass
class Clock:
    """monotonic and wall are one controlled time, as the script's time is."""

    now: float = START

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now


def random_config(rng: random.Random) -> BreakerConfig:
    window = rng.randint(1, 6)
    return BreakerConfig(
        failure_threshold=rng.choice([None, 1, 2, 3, 5]),
        failure_rate_threshold=rng.choice([None, 0.25, 0.5, 1.0, 2 / 3]),
        window_size=window,
        minimum_calls=rng.randint(1, window),
        slow_call_duration=rng.choice([None, 0.5, 1.25]),
        slow_call_rate_threshold=rng.choice([0.5, 1.0, 1 / 3]),
        open_for=rng.choice([0.0, 0.5, 1.0, 2.5]),
        half_open_max_calls=rng.randint(1, 3),
        half_open_max_wait=rng.choice([None, 0.75, 2.0]),
    )


def record_of(breaker: CircuitBreaker) -> tuple[object, ...]:
    record = breaker._record
    window = breaker.window
    return (
        record.state,
        record.consecutive_failures,
        window.calls,
        window.failures,
        window.slow,
        record.opened_at,
        record.open_for,
        record.half_open_since,
        record.probes_admitted,
        record.probes_succeeded,
    )


def record_in(reply) -> tuple[object, ...]:
    return (
        reply.state,
        reply.fail_count,
        reply.calls,
        reply.failures,
        reply.slow,
        reply.opened_at,
        reply.open_for,
        reply.half_open_since,
        reply.probes_admitted,
        reply.probes_succeeded,
    )


def play_trace(seed: int, url: str) -> int:  # noqa: PLR0915 - one trace, step by step
    """One trace through both; returns how many decisions were compared."""
    rng = random.Random(seed)
    config = random_config(rng)
    clock = Clock()
    ours = CircuitBreaker(config, clock=clock)
    theirs = RedisStore(url, f"trace-{seed}", time_source=clock.monotonic)
    # The permits each admitted call holds on either side, while it is outstanding.
    outstanding: list[tuple[int, int]] = []
    compared = 0
    try:
        for number in range(STEPS):
            where = f"seed {seed}, step {number}, config {config}"
            op = rng.choices(
                ["acquire", "outcome", "release", "advance", "view", "force_open", "reset"],
                weights=[10, 10, 1, 5, 1, 0.3, 0.5],
            )[0]
            mark = ours.transition_mark()
            if op == "acquire":
                try:
                    mine: int | None = ours.acquire()
                    refused: tuple[str, float | None] | None = None
                except CircuitOpenError as exc:
                    mine, refused = None, (exc.state, exc.retry_in)
                reply = theirs.step("acquire", config)
                if mine is None:
                    assert reply.permit == -1, where
                    assert refused == (reply.state.value, reply.retry_in), where
                else:
                    assert reply.permit >= 0, where
                    outstanding.append((mine, reply.permit))
            elif op == "outcome" and outstanding:
                mine_permit, their_permit = outstanding.pop(rng.randrange(len(outstanding)))
                failure = rng.choice([None, None, "http_5xx", "timeout"])
                duration = rng.choice([0.125, 0.25, 0.5, 1.25, 2.0])
                ours.record(mine_permit, duration, failure)
                slow = (
                    config.slow_call_duration is not None and duration > config.slow_call_duration
                )
                reply = theirs.step(
                    "record", config, str(their_permit), failure or "", "1" if slow else "0"
                )
            elif op == "release" and outstanding:
                mine_permit, their_permit = outstanding.pop(rng.randrange(len(outstanding)))
                ours.release(mine_permit)
                reply = theirs.step("release", config, str(their_permit))
            elif op == "force_open":
                ours.force_open("held open for the trace")
                reply = theirs.step("force_open", config, "held open for the trace")
            elif op == "reset":
                ours.reset("reset for the trace")
                reply = theirs.step("reset", config, "reset for the trace")
            elif op == "view":
                state = ours.state
                reply = theirs.step("view", config)
                assert state is reply.state, where
            else:
                clock.now += rng.choice([0.0, 0.125, 0.25, 0.5, 0.75, 1.0, 2.5, 3.0])
                continue
            compared += 1
            made = ours.transitions_since(mark)
            assert [(t.from_state, t.to_state, t.at, t.reason) for t in made] == [
                (t.from_state, t.to_state, t.at, t.reason) for t in reply.changes
            ], where
            assert record_of(ours) == record_in(reply), where
    finally:
        theirs.close()
    return compared


def test_thousands_of_random_traces_decide_alike_in_python_and_on_redis(redis_server):
    """Every decision, transition and record field agrees, step by step, over 2,000 traces."""
    compared = sum(play_trace(seed, redis_server.url) for seed in range(TRACES))
    # The traces reach every state and many decisions; a trace that compared nothing
    # would let a broken script pass.
    assert compared > TRACES * STEPS // 2


def test_the_traces_reach_every_state_and_every_kind_of_transition(redis_server):
    """The random traces are not all CLOSED: they open, half-open, close and re-open."""
    seen: set[tuple[BreakerState, BreakerState]] = set()
    for seed in range(200):
        rng = random.Random(seed)
        config = random_config(rng)
        clock = Clock()
        store = RedisStore(redis_server.url, f"reach-{seed}", time_source=clock.monotonic)
        permits: list[int] = []
        try:
            for _ in range(STEPS):
                if rng.random() < 0.5:
                    reply = store.step("acquire", config)
                    if reply.permit >= 0:
                        permits.append(reply.permit)
                elif permits:
                    reply = store.step(
                        "record", config, str(permits.pop()), rng.choice(["", "http_5xx"]), "0"
                    )
                else:
                    clock.now += 1.0
                    continue
                seen.update((t.from_state, t.to_state) for t in reply.changes)
        finally:
            store.close()
    closed, opened, half = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN
    assert {(closed, opened), (opened, half), (half, closed), (half, opened)} <= seen

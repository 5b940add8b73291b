"""The breaker shared on a real Redis: round trips, the server's clock, keys, faults."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import ClassVar

import pytest
import redis.asyncio

from resilience_cli.errors import CircuitOpenError
from resilience_cli.patterns import (
    BreakerConfig,
    BreakerState,
    Failure,
    OutcomeKind,
    Pipeline,
    Policies,
    Reason,
)
from resilience_cli.state.redis_store import IDLE_EXPIRY, RedisStore, Unavailable, breaker_keys
from resilience_cli.state.shared_breaker import RETRY_AFTER, UNCOUNTED, SharedBreaker

pytestmark = [pytest.mark.linux_service("redis-server"), pytest.mark.real_time]

CONFIG = BreakerConfig(failure_threshold=3, failure_rate_threshold=None, open_for=30.0)


@dataclass
class SkewedClock:
    """A host whose clock is a day ahead: only its monotonic clock paces the retries."""

    offset: float = 86_400.0
    ticks: float = 0.0

    def monotonic(self) -> float:
        return self.ticks

    def wall(self) -> float:
        return time.time() + self.offset


def shared(store: RedisStore, notes: list[str] | None = None, clock=None) -> SharedBreaker:
    return SharedBreaker(
        store,
        CONFIG,
        clock=clock or SkewedClock(),
        events=None,
        unavailable=store.unavailable,
        note=None if notes is None else notes.append,
    )


class CountingConnection(redis.asyncio.Connection):
    """Counts every request it writes to the server: one round trip each, with no pipelining."""

    sent: ClassVar[list[str]] = []

    async def send_packed_command(self, command, check_health=True):
        first = command[0] if isinstance(command, list) else command
        # The command's name is the first bulk string of the RESP array.
        CountingConnection.sent.append(bytes(first).split(b"\r\n")[2].decode().lower())
        await super().send_packed_command(command, check_health)


def counted(store: RedisStore, server) -> list[str]:
    """Give `store` a client that counts its round trips; the list fills as it works."""
    pool = redis.asyncio.ConnectionPool(
        connection_class=CountingConnection, host="127.0.0.1", port=server.port
    )
    store._async = redis.asyncio.Redis.from_pool(pool)
    CountingConnection.sent = []
    return CountingConnection.sent


async def test_an_attempt_on_the_success_path_costs_two_round_trips(redis_server):
    """200 successful calls through the pipeline: 400 commands reach the server, all EVALSHA."""
    store = RedisStore(redis_server.url, "trips")
    breaker = shared(store)
    pipeline = Pipeline.from_policies(
        Policies(bulkhead=None, rate_limiter=None, retry=None), clock=SkewedClock(), seed=0,
        shared_breaker=breaker,
    )  # fmt: skip

    async def ok() -> int:
        return 1

    sent = counted(store, redis_server)
    await pipeline.call(ok)  # the first connects (HELLO) and loads the script (NOSCRIPT, EVAL)
    sent.clear()
    for _ in range(200):
        outcome = await pipeline.call(ok)
        assert outcome.kind is OutcomeKind.SUCCESS
    await breaker.aclose()
    assert sent == ["evalsha"] * 400


class LeftOut:
    """A failure rule that leaves every error out (`--fail-on` without what happened)."""

    def result(self, _value: object, /) -> Failure | None:
        return None

    def error(self, _error: Exception, /) -> Failure:
        return Failure(Reason.CONNECT_ERROR, retryable=False, counted=False)

    def timed_out(self, failure: Failure, /) -> Failure:
        return failure


async def test_a_failure_the_rule_leaves_out_gives_its_permit_back_uncounted(redis_server):
    """Errors the rule does not count never trip the shared breaker, and leave no probe held."""
    store = RedisStore(redis_server.url, "left-out")
    breaker = shared(store)
    pipeline = Pipeline.from_policies(
        Policies(bulkhead=None, rate_limiter=None, retry=None), clock=SkewedClock(), seed=0,
        shared_breaker=breaker,
    )  # fmt: skip

    async def refused() -> int:
        raise ConnectionRefusedError

    for _ in range(2 * CONFIG.failure_threshold):
        outcome = await pipeline.call(refused, LeftOut())
        assert outcome.reason is Reason.CONNECT_ERROR
    view = await breaker.view()
    await breaker.aclose()
    assert view.state is BreakerState.CLOSED
    assert view.fail_count == 0


async def test_a_server_that_lost_the_script_runs_it_by_eval_once(redis_server):
    """After SCRIPT FLUSH the next step answers NOSCRIPT, is sent by EVAL, then EVALSHA again."""
    store = RedisStore(redis_server.url, "noscript")
    sent = counted(store, redis_server)
    await store.step_async("acquire", CONFIG)
    redis_server.flush()
    sent.clear()
    await store.step_async("acquire", CONFIG)
    await store.step_async("acquire", CONFIG)
    await store.aclose()
    assert sent == ["evalsha", "eval", "evalsha"]


async def test_time_comes_from_the_server_so_a_skewed_host_agrees_on_when_open_ends(
    redis_server,
):
    """A host a day ahead still sees the breaker OPEN for its whole wait, by the server's TIME."""
    store = RedisStore(redis_server.url, "skew")
    skewed = shared(store, clock=SkewedClock(offset=86_400.0))
    for _ in range(3):
        await skewed.record(await skewed.acquire(), 0.01, "http_5xx")
    with pytest.raises(CircuitOpenError) as refused:
        await skewed.acquire()
    assert refused.value.retry_in is not None
    assert 29.0 < refused.value.retry_in <= 30.0
    client = redis_server.client()
    with contextlib.closing(client):
        seconds, micros = client.time()
    view = await skewed.view()
    assert view.state is BreakerState.OPEN
    assert view.opened_at is not None
    assert abs(view.opened_at - (seconds + micros / 1e6)) < 5  # the server's time, not ours
    await skewed.aclose()


async def test_a_new_process_never_resets_the_shared_counters(redis_server):
    """Two failures in one process, one in the next: the third opens the breaker they share."""
    first = shared(RedisStore(redis_server.url, "counters"))
    for _ in range(2):
        await first.record(await first.acquire(), 0.01, "http_5xx")
    await first.aclose()
    second = shared(RedisStore(redis_server.url, "counters"))
    assert (await second.view()).fail_count == 2
    await second.record(await second.acquire(), 0.01, "http_5xx")
    assert (await second.view()).state is BreakerState.OPEN
    assert [(t.from_state, t.to_state) for t in second.transitions] == [
        (BreakerState.CLOSED, BreakerState.OPEN)
    ]
    await second.aclose()


async def test_lost_keys_give_a_fresh_closed_breaker_and_one_warning(redis_server):
    """After FLUSHALL an OPEN breaker reads as a fresh CLOSED one; a warning says so once."""
    notes: list[str] = []
    breaker = shared(RedisStore(redis_server.url, "lost"), notes)
    for _ in range(3):
        await breaker.record(await breaker.acquire(), 0.01, "http_5xx")
    assert (await breaker.view()).state is BreakerState.OPEN
    stale = 0
    redis_server.flush()
    permit = await breaker.acquire()
    await breaker.record(permit, 0.01, None)
    await breaker.record(await breaker.acquire(), 0.01, None)
    view = await breaker.view()
    assert (view.state, view.fail_count) == (BreakerState.CLOSED, stale)
    assert len([note for note in notes if "was missing" in note]) == 1
    assert "fresh CLOSED breaker" in notes[0]
    await breaker.aclose()


async def test_an_outcome_admitted_before_the_keys_were_lost_is_not_counted(redis_server):
    """A permit of the lost breaker cannot land in the fresh one's window."""
    breaker = shared(RedisStore(redis_server.url, "old-permit"))
    permit = await breaker.acquire()
    redis_server.flush()
    await breaker.acquire()  # recreates it
    await breaker.record(permit, 0.01, "http_5xx")
    assert (await breaker.view()).fail_count == 0
    await breaker.aclose()


async def test_keys_are_namespaced_by_name_and_expire_when_idle(redis_server):
    """Two names, two pairs of keys under resilience:{name}:, each expiring after 7 days idle."""
    for name in ("api", "db"):
        breaker = shared(RedisStore(redis_server.url, name))
        await breaker.record(await breaker.acquire(), 0.01, "http_5xx")
        await breaker.aclose()
    client = redis_server.client()
    with contextlib.closing(client):
        keys = sorted(key.decode() for key in client.keys("*"))
        assert keys == ["resilience:{api}:breaker", "resilience:{db}:breaker"]
        assert 0 < client.pttl(breaker_keys("api")[0]) <= IDLE_EXPIRY * 1000
        assert client.pttl(breaker_keys("api")[0]) > (IDLE_EXPIRY - 60) * 1000
        assert client.hget(breaker_keys("db")[0], "consecutive_failures") == b"1"


async def test_a_look_at_a_breaker_never_used_leaves_no_key(redis_server):
    """`state` on a fresh name shows CLOSED and writes nothing."""
    store = RedisStore(redis_server.url, "never")
    assert store.load() is None
    store.close()
    client = redis_server.client()
    with contextlib.closing(client):
        assert client.keys("*") == []


@pytest.mark.parametrize(
    ("mode", "admitted"),
    [(Unavailable.LOCAL, True), (Unavailable.FAIL_OPEN, True), (Unavailable.FAIL_CLOSED, False)],
)
async def test_an_unreachable_server_is_handled_as_store_unavailable_says(
    own_redis_server, mode, admitted
):
    """Server down: local guards in-process, fail-open lets through, fail-closed refuses."""
    own_redis_server.stop()
    notes: list[str] = []
    clock = SkewedClock()
    breaker = shared(RedisStore(own_redis_server.url, "down", unavailable=mode), notes, clock)
    if admitted:
        permit = await breaker.acquire()
        assert (permit == UNCOUNTED) is (mode is Unavailable.FAIL_OPEN)
        await breaker.record(permit, 0.01, "http_5xx")
    else:
        with pytest.raises(CircuitOpenError, match="state store is unavailable"):
            await breaker.acquire()
    assert len(notes) == 1
    assert f"--store-unavailable {mode.value}" in notes[0]
    assert "Connection refused" in notes[0] or "Error 111" in notes[0]
    if mode is Unavailable.LOCAL:
        for _ in range(2):
            await breaker.record(await breaker.acquire(), 0.01, "http_5xx")
        with pytest.raises(CircuitOpenError):
            await breaker.acquire()  # the in-process breaker opened on its own count
    own_redis_server.start()
    clock.ticks += RETRY_AFTER  # the server is asked again only after a pause
    permit = await breaker.acquire()
    assert permit >= 0
    assert "is back" in notes[-1]
    await breaker.aclose()


async def test_outcomes_the_server_could_not_count_are_said_at_the_end(own_redis_server):
    """Admitted by the server, which then went away: the run's end names the lost counts."""
    notes: list[str] = []
    breaker = shared(RedisStore(own_redis_server.url, "gone"), notes)
    permit = await breaker.acquire()
    own_redis_server.stop()
    await breaker.record(permit, 0.01, None)
    await breaker.aclose()
    assert breaker.uncounted == 1
    assert "1 outcome(s)" in notes[-1]

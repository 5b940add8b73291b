import asyncio

import pytest

from resilience_cli.errors import ConfigError, RateLimitedError
from resilience_cli.patterns.events import EventList
from resilience_cli.patterns.rate_limiter import (
    RateLimiter,
    RateLimiterConfig,
    refill,
    wait_for_token,
)
from resilience_cli.virtual_time import VirtualClock


@pytest.mark.parametrize(
    ("level", "elapsed", "expected"),
    [(0.0, 0.1, 1.0), (5.0, 10.0, 10.0), (-2.0, 0.1, -1.0), (-2.0, 1.0, 8.0), (3.0, 0.0, 3.0)],
)
def test_refill_pays_debts_and_caps_at_burst(level, elapsed, expected):
    """Refill adds rate*elapsed, is capped by the burst, and never forgives a debt."""
    assert refill(level, elapsed, rate=10.0, burst=10) == pytest.approx(expected)


@pytest.mark.parametrize(("level", "expected"), [(1.0, 0.0), (3.5, 0.0), (0.5, 0.05), (-1.0, 0.2)])
def test_wait_for_token_table(level, expected):
    """The wait for the next token is (1 - level) / rate, or nothing when one is there."""
    assert wait_for_token(level, rate=10.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate": 0}, "rate_limiter.rate"),
        ({"rate": -5}, "rate_limiter.rate"),
        ({"burst": 0}, "rate_limiter.burst"),
        ({"max_wait": -1}, "rate_limiter.max_wait"),
    ],
)
def test_config_rejects_nonsense(kwargs, field):
    """A negative rate or a burst below 1 raises ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        RateLimiterConfig(**kwargs)
    assert caught.value.field == field


def test_a_fresh_bucket_grants_its_burst_at_once():
    """A full bucket hands out `burst` tokens without waiting, then none."""
    limiter = RateLimiter(RateLimiterConfig(rate=1, burst=3), clock=VirtualClock())
    assert [limiter.try_acquire() for _ in range(4)] == [True, True, True, False]


async def test_waiters_are_paced_at_the_rate(clock):
    """With an empty bucket, callers are spaced exactly 1/rate apart."""
    events = EventList()
    limiter = RateLimiter(
        RateLimiterConfig(rate=10, burst=1, max_wait=5), clock=clock, events=events
    )
    granted: list[float] = []

    async def take() -> None:
        await limiter.acquire()
        granted.append(clock.monotonic())

    await asyncio.gather(*(take() for _ in range(5)))
    assert granted == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert events.names() == ["rate_limit.waited"] * 4


async def test_a_caller_that_would_wait_too_long_is_rejected(clock):
    """When the next token is further off than max_wait, the caller is refused at once."""
    limiter = RateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=0.5), clock=clock)
    await limiter.acquire()
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire()
    assert caught.value.wait_needed == pytest.approx(1.0)
    assert clock.monotonic() == 0
    assert limiter.statistics().rejected == 1


async def test_a_cancelled_waiter_gives_its_token_back(clock):
    """Cancelling a waiting caller returns its reservation to the next caller."""
    limiter = RateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=10), clock=clock)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await limiter.acquire() == pytest.approx(1.0)
    assert limiter.statistics().granted == 2


async def test_a_busy_loop_does_not_lower_the_long_run_rate(clock):
    """With every wake-up late on a busy loop, 500 callers still get 50/s within 1 %."""
    limiter = RateLimiter(RateLimiterConfig(rate=50, burst=1, max_wait=100), clock=clock)
    granted: list[float] = []
    done = asyncio.Event()

    async def hog() -> None:
        # Like 50 tasks that each spin 100 us: every loop turn costs 5 ms of time.
        while not done.is_set():
            clock.jump(0.005)
            await asyncio.sleep(0)

    async def take() -> None:
        await limiter.acquire()
        granted.append(clock.monotonic())

    hogging = asyncio.create_task(hog())
    await asyncio.gather(*(take() for _ in range(500)))
    done.set()
    await hogging
    achieved = (len(granted) - 1) / (granted[-1] - granted[0])
    assert achieved == pytest.approx(50, rel=0.01)
    # Each caller is late by a few loop turns, but lateness never piles up.
    lateness = [when - index / 50 for index, when in enumerate(granted)]
    assert max(lateness) < 0.02


async def test_a_cancellation_mid_line_gives_its_slot_to_the_next_in_line(clock):
    """1/s, burst 1: A, B, C at t=0, B cancelled at t=0.5, so C is granted at t=1, not t=2."""
    limiter = RateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=10), clock=clock)
    granted: dict[str, float] = {}

    async def take(name: str) -> None:
        await limiter.acquire()
        granted[name] = clock.monotonic()

    tasks = {name: asyncio.create_task(take(name)) for name in "ABC"}
    asyncio.get_running_loop().call_later(0.5, tasks["B"].cancel)
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    assert granted == {"A": 0.0, "C": 1.0}


async def test_a_cancellation_mid_line_never_grants_two_in_one_slot(clock):
    """The slot given back moves the whole line up by one: still one grant per slot."""
    limiter = RateLimiter(RateLimiterConfig(rate=2, burst=1, max_wait=10), clock=clock)
    granted: dict[str, float] = {}

    async def take(name: str, arrival: float = 0.0) -> None:
        await asyncio.sleep(arrival)
        await limiter.acquire()
        granted[name] = clock.monotonic()

    tasks = {name: asyncio.create_task(take(name)) for name in "abcd"}
    late = asyncio.create_task(take("late", 1.0))
    asyncio.get_running_loop().call_later(0.9, tasks["c"].cancel)
    await asyncio.gather(*tasks.values(), late, return_exceptions=True)
    assert granted == {"a": 0.0, "b": 0.5, "d": 1.0, "late": 1.5}


async def test_statistics_count_only_the_waiters_that_got_their_token(clock):
    """A cancelled waiter is neither granted nor waited, wherever it stood in the line."""
    limiter = RateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=10), clock=clock)
    tasks = [asyncio.create_task(limiter.acquire()) for _ in range(4)]
    await asyncio.sleep(0.5)
    tasks[1].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stats = limiter.statistics()
    assert (stats.granted, stats.waited) == (3, 2)


async def test_a_waiter_whose_slot_has_come_keeps_it_spent_when_cancelled(clock):
    """Cancelled after its slot came (a late wake-up), a waiter gives nothing back."""
    limiter = RateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=10), clock=clock)
    await limiter.acquire()
    overdue = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)  # it reserves the token due at t=1
    clock.jump(2.5)  # the loop is late: t=2.5 and its timer has not run yet
    overdue.cancel()
    await asyncio.gather(overdue, return_exceptions=True)
    assert limiter.try_acquire()  # the token of t=2 is there...
    assert await limiter.acquire() == pytest.approx(1.0)  # ...but not the spent one of t=1


async def test_the_last_waiter_cancelled_gives_its_token_to_the_next(clock):
    """When the cancelled waiter was last in line, a newcomer gets its slot."""
    limiter = RateLimiter(RateLimiterConfig(rate=2, burst=1, max_wait=10), clock=clock)
    await limiter.acquire()
    last = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.1)
    last.cancel()
    await asyncio.gather(last, return_exceptions=True)
    assert await limiter.acquire() == pytest.approx(0.4)


@pytest.mark.parametrize("cancel_first", [True, False])
async def test_a_waiter_cancelled_the_instant_its_slot_comes_gives_it_back(clock, cancel_first):
    """Cancelled at its due time, whichever callback runs first, B's slot goes to C."""
    limiter = RateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=10), clock=clock)
    await limiter.acquire()
    loop = asyncio.get_running_loop()
    b: asyncio.Task[float] | None = None
    if cancel_first:  # the cancel's timer is older than B's, so it runs first at t=1
        loop.call_later(1.0, lambda: b is not None and b.cancel())
    b = asyncio.create_task(limiter.acquire())
    c = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    if not cancel_first:
        loop.call_later(1.0, b.cancel)
    await asyncio.gather(b, return_exceptions=True)
    assert await c == pytest.approx(1.0)
    assert limiter.statistics().granted == 2

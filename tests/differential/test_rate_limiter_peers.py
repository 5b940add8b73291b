"""The rate limiter against an exact token-bucket model and against aiolimiter.

Seeded callers arrive at random; some are cancelled while they wait. The exact model says
when each caller must get its token; aiolimiter shows what a well-kept peer delivers.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from aiolimiter import AsyncLimiter

from resilience_cli.event_loops import event_loop_for
from resilience_cli.patterns.rate_limiter import RateLimiter, RateLimiterConfig
from resilience_cli.virtual_time import VirtualClock

GRID = 1 / 16  # arrivals and cancellations on a dyadic grid: the arithmetic is exact


def exact_bucket(
    rate: float, burst: int, callers: list[tuple[float, float | None]]
) -> list[float | None]:
    """When each caller gets its token (None: cancelled first), by the book.

    A token bucket of `burst` that refills at `rate` and starts full, serving callers first
    come first served, written as the generic cell rate algorithm (GCRA): a caller arriving
    at `a` is served at `max(a, TAT - tau)`, and the theoretical arrival time TAT moves on
    by one interval. A caller cancelled at `c` before or at the moment of its token
    (`c <= grant`) never had it: the schedule is the one in which it never came. Cancels
    are taken in time order, each against the schedule that the earlier ones left.
    """
    interval, tau = 1 / rate, (burst - 1) / rate

    def schedule(alive: set[int]) -> dict[int, float]:
        tat, grants = 0.0, {}
        for index in sorted(alive, key=lambda i: callers[i][0]):
            arrival = callers[index][0]
            grant = max(arrival, tat - tau)
            tat = max(tat, grant) + interval
            grants[index] = grant
        return grants

    alive = set(range(len(callers)))
    cancels = sorted(
        (cancel, index) for index, (_, cancel) in enumerate(callers) if cancel is not None
    )
    for cancel, index in cancels:
        grant = schedule(alive)[index]
        if grant > callers[index][0] and cancel <= grant:
            alive.remove(index)
    final = schedule(alive)
    return [final.get(index) for index in range(len(callers))]


def run_ours(rate: float, burst: int, callers: list[tuple[float, float | None]]):
    """Each caller's grant time on our limiter, or None when it was cancelled first."""
    clock = VirtualClock()

    async def main() -> list[float | None]:
        limiter = RateLimiter(RateLimiterConfig(rate=rate, burst=burst, max_wait=1e9), clock=clock)
        return await play(clock, callers, limiter.acquire)

    with asyncio.Runner(loop_factory=lambda: event_loop_for(clock)) as runner:
        return runner.run(main())


def run_aiolimiter(rate: float, burst: int, callers: list[tuple[float, float | None]]):
    """The same callers on aiolimiter: `burst` per `burst / rate` seconds."""
    clock = VirtualClock()

    async def main() -> list[float | None]:
        limiter = AsyncLimiter(burst, burst / rate)
        return await play(clock, callers, limiter.acquire)

    with asyncio.Runner(loop_factory=lambda: event_loop_for(clock)) as runner:
        return runner.run(main())


async def play(clock, callers, acquire) -> list[float | None]:
    grants: list[float | None] = [None] * len(callers)

    async def caller(index: int, arrival: float) -> None:
        await asyncio.sleep(arrival)
        await acquire()
        grants[index] = clock.monotonic()

    loop = asyncio.get_running_loop()
    tasks = []
    for index, (arrival, cancel) in enumerate(callers):
        task = asyncio.create_task(caller(index, arrival))
        if cancel is not None:
            loop.call_later(cancel, task.cancel)
        tasks.append(task)
    await asyncio.gather(*tasks, return_exceptions=True)
    return grants


def random_callers(
    rng: random.Random, count: int, span: float, cancel_share: float
) -> list[tuple[float, float | None]]:
    """Callers at distinct grid times in [0, span); a share of them cancelled later."""
    slots = rng.sample(range(int(span / GRID)), count)
    callers = []
    for slot in slots:
        arrival = slot * GRID
        cancel = None
        if rng.random() < cancel_share:
            cancel = arrival + rng.randint(1, 32) * GRID
        callers.append((arrival, cancel))
    return callers


@pytest.mark.parametrize("seed", range(6))
def test_the_bucket_matches_an_exact_model_with_cancellations(seed):
    """Every caller gets its token exactly when the exact model says, or is cancelled."""
    rng = random.Random(seed)
    for _ in range(40):
        rate = rng.choice((1.0, 2.0, 4.0, 8.0))
        burst = rng.randint(1, 4)
        callers = random_callers(rng, rng.randint(5, 40), 4.0, rng.choice((0.0, 0.1, 0.3)))
        assert run_ours(rate, burst, callers) == exact_bucket(rate, burst, callers)


def delivered_rate(grants: list[float | None]) -> float:
    """Tokens per second once the line has formed: from the 50th grant to the last."""
    paced = sorted(grant for grant in grants if grant is not None)[50:]
    return (len(paced) - 1) / (paced[-1] - paced[0])


@pytest.mark.parametrize(("rate", "burst"), [(64.0, 1), (64.0, 8), (8.0, 3)])
def test_with_cancelled_waiters_it_delivers_its_rate_like_aiolimiter(rate, burst):
    """With 10 % of waiters cancelled, ours delivers the rate, no less than aiolimiter does."""
    rng = random.Random(int(rate) * 100 + burst)
    count = 600
    # Demand twice the rate, so a line forms and the bucket alone sets the pace. Times are
    # whole 1/1024 s and rates powers of two: aiolimiter's float arithmetic then lands
    # exactly on its timers (off by an ulp, it re-arms a timer for "now" forever on a
    # virtual clock, which never moves while work is pending).
    fine = 1 / 1024
    arrivals = sorted(rng.randrange(int(count / rate / 2 / fine)) * fine for _ in range(count))
    callers = [
        (arrival, arrival + rng.randint(10, 500) * fine if rng.random() < 0.1 else None)
        for arrival in arrivals
    ]
    ours = delivered_rate(run_ours(rate, burst, callers))
    theirs = delivered_rate(run_aiolimiter(rate, burst, callers))
    # Named difference, AIOLIMITER_IS_NOT_FIFO: aiolimiter lets a newcomer take free
    # capacity ahead of a waiter, so who gets which token is not compared; the rates are.
    # On this grid the arithmetic is exact, so "the rate" means the rate, to the last bit.
    assert ours == rate
    assert ours >= theirs

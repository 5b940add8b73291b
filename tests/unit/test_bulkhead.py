import asyncio

import pytest

from resilience_cli.errors import BulkheadFullError, ConfigError
from resilience_cli.patterns.bulkhead import Bulkhead, BulkheadConfig, BulkheadStatistics
from resilience_cli.patterns.events import EventList


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_concurrent": 0}, "bulkhead.max_concurrent"),
        ({"max_queue": -1}, "bulkhead.max_queue"),
        ({"max_wait": -1}, "bulkhead.max_wait"),
    ],
)
def test_config_rejects_nonsense(kwargs, field):
    """A bulkhead of zero slots or a negative queue raises ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        BulkheadConfig(**kwargs)
    assert caught.value.field == field


async def test_it_never_runs_more_than_max_concurrent(clock):
    """Ten callers through two slots: never more than two at once, all ten served."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=2, max_queue=None, max_wait=None))
    running = peak = 0

    async def work() -> None:
        nonlocal running, peak
        async with bulkhead:
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(1)
            running -= 1

    await asyncio.gather(*(work() for _ in range(10)))
    assert peak == 2
    assert clock.monotonic() == pytest.approx(5)
    assert bulkhead.statistics() == BulkheadStatistics(0, 0, 2, 8, 10, 0)


async def test_the_queue_is_first_in_first_out():
    """Freed slots go to waiters in arrival order."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=None, max_wait=None))
    order: list[int] = []

    async def work(index: int) -> None:
        async with bulkhead:
            order.append(index)
            await asyncio.sleep(0.1)

    await asyncio.gather(*(work(index) for index in range(5)))
    assert order == [0, 1, 2, 3, 4]


async def test_a_newcomer_cannot_overtake_the_queue():
    """try_acquire fails while anyone is queued, even right after a release."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=None, max_wait=None))
    assert bulkhead.try_acquire()
    waiter = asyncio.create_task(bulkhead.acquire())
    await asyncio.sleep(0)
    bulkhead.release()  # handed to the waiter, not freed
    assert not bulkhead.try_acquire()
    await waiter
    assert bulkhead.statistics().in_flight == 1


async def test_a_full_queue_rejects_at_once(clock):
    """With the slots and the queue full, the next caller is refused without waiting."""
    events = EventList()
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=1), events=events)
    assert bulkhead.try_acquire()
    queued = asyncio.create_task(bulkhead.acquire())
    await asyncio.sleep(0)
    with pytest.raises(BulkheadFullError, match="queue 1 of 1 full"):
        await bulkhead.acquire()
    assert clock.monotonic() == 0
    queued.cancel()
    assert events.names() == ["bulkhead.queued"]


async def test_zero_queue_rejects_like_resilience4j():
    """max_queue=0 refuses a caller as soon as every slot is busy."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=0))
    assert bulkhead.try_acquire()
    with pytest.raises(BulkheadFullError):
        await bulkhead.acquire()
    assert bulkhead.statistics().rejected == 1


async def test_zero_wait_rejects_at_once():
    """max_wait=0 refuses a caller rather than queueing it."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=10, max_wait=0))
    assert bulkhead.try_acquire()
    with pytest.raises(BulkheadFullError):
        await bulkhead.acquire()


async def test_a_waiter_gives_up_after_max_wait(clock):
    """A queued caller is refused once max_wait passes, and leaves the queue."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=5, max_wait=2))
    assert bulkhead.try_acquire()
    with pytest.raises(BulkheadFullError, match="waited 2s"):
        await bulkhead.acquire()
    assert clock.monotonic() == pytest.approx(2)
    assert bulkhead.statistics().waiting == 0


async def test_a_slot_handed_over_as_the_wait_expires_is_kept(clock):
    """If the slot arrives in the same instant the wait runs out, the caller keeps it."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=5, max_wait=1))
    assert bulkhead.try_acquire()
    asyncio.get_running_loop().call_at(clock.monotonic() + 1, bulkhead.release)
    await bulkhead.acquire()
    assert bulkhead.statistics().in_flight == 1


async def test_a_cancelled_waiter_leaves_the_queue():
    """Cancelling a queued caller removes it; the slot goes to the next one."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=5, max_wait=None))
    assert bulkhead.try_acquire()
    first = asyncio.create_task(bulkhead.acquire())
    second = asyncio.create_task(bulkhead.acquire())
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    assert bulkhead.statistics().waiting == 1
    bulkhead.release()
    await second
    assert bulkhead.statistics().in_flight == 1


async def test_a_waiter_cancelled_after_the_handover_passes_the_slot_on():
    """A slot handed to a caller that is cancelled before it runs is not leaked."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=5, max_wait=None))
    assert bulkhead.try_acquire()
    first = asyncio.create_task(bulkhead.acquire())
    await asyncio.sleep(0)
    bulkhead.release()  # the slot is now first's
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert bulkhead.statistics().in_flight == 0
    assert bulkhead.try_acquire()


async def test_a_release_without_an_acquire_is_refused_and_changes_nothing():
    """release() with nothing held raises RuntimeError and in_flight never goes negative."""
    bulkhead = Bulkhead(BulkheadConfig(max_concurrent=1, max_queue=0))
    with pytest.raises(RuntimeError, match="release\\(\\) without a slot held"):
        bulkhead.release()
    assert bulkhead.statistics().in_flight == 0
    await bulkhead.acquire()
    assert not bulkhead.try_acquire()  # still one slot, not two
    bulkhead.release()
    with pytest.raises(RuntimeError):
        bulkhead.release()
    assert bulkhead.statistics().in_flight == 0

import asyncio
import math
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.cli import runtime
from resilience_cli.clock import PausableClock, SystemClock
from resilience_cli.event_loops import event_loop_for
from resilience_cli.virtual_time import (
    VIRTUAL_WALL_ORIGIN,
    VirtualClock,
    VirtualEventLoop,
    WallOrigin,
)


def test_virtual_clock_starts_at_zero_and_fixed_wall_origin():
    """A new virtual clock reads 0 monotonic seconds and the fixed wall origin."""
    clock = VirtualClock()
    assert clock.monotonic() == 0.0
    assert clock.wall() == VIRTUAL_WALL_ORIGIN


def test_jump_moves_both_clocks_forward():
    """jump() advances monotonic and wall time together."""
    clock = VirtualClock(wall_origin=1000.0)
    clock.jump(2.5)
    assert clock.monotonic() == 2.5
    assert clock.wall() == 1002.5


def test_time_cannot_go_backwards():
    """jump() refuses a negative step, as trio's MockClock does."""
    with pytest.raises(ValueError, match="backwards"):
        VirtualClock().jump(-1)


def test_wall_can_be_set_backwards_without_touching_monotonic():
    """set_wall() moves only the wall clock, as NTP or an operator can."""
    clock = VirtualClock(wall_origin=1000.0)
    clock.jump(10)
    clock.set_wall(500.0)
    assert clock.wall() == 500.0
    assert clock.monotonic() == 10


async def test_sleep_on_the_virtual_loop_takes_no_real_time(clock):
    """An hour of asyncio.sleep finishes at once and moves the clock by an hour."""
    started = time.perf_counter()
    await asyncio.sleep(3600)
    assert clock.monotonic() == pytest.approx(3600)
    assert time.perf_counter() - started < 1


async def test_concurrent_sleeps_wake_in_time_order(clock):
    """Timers fire in due order, each at its own virtual time."""
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        woke.append((name, clock.monotonic()))

    await asyncio.gather(sleeper("late", 5), sleeper("early", 1), sleeper("middle", 3))
    assert [name for name, _ in woke] == ["early", "middle", "late"]
    assert [when for _, when in woke] == pytest.approx([1, 3, 5])


async def test_asyncio_timeout_fires_in_virtual_time(clock):
    """asyncio.timeout expires at its virtual deadline, exactly."""
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(2):
            await asyncio.sleep(10)
    assert clock.monotonic() == pytest.approx(2)


async def test_virtual_loop_still_waits_for_threads(clock):
    """With no timer pending, the loop blocks for real until a thread's result arrives."""
    result = await asyncio.get_running_loop().run_in_executor(None, lambda: 42)
    assert result == 42
    assert clock.monotonic() == 0


def test_system_clock_reads_the_machine_clocks():
    """SystemClock reads time.monotonic and time.time, and makes a stock loop."""
    clock = SystemClock()
    assert abs(clock.monotonic() - time.monotonic()) < 1
    assert abs(clock.wall() - time.time()) < 1
    loop = event_loop_for(clock)
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop)
    finally:
        loop.close()


def run_bounded(clock: VirtualClock, main, *, real_seconds: float = 30.0):
    """Run `main()` on a fresh loop of `clock`; a loop that spins is stopped from a thread."""
    loop = event_loop_for(clock)
    watchdog = threading.Timer(real_seconds, loop.call_soon_threadsafe, (loop.stop,))
    watchdog.start()
    try:
        return loop.run_until_complete(main())
    finally:
        watchdog.cancel()
        loop.close()


@pytest.mark.parametrize("start", [2.0**24, 2.0**30, 1e12])
def test_timers_still_fire_far_from_time_zero(start):
    """Past 2**24 s a float cannot hold 1 ns more; sleeps, zero delays and timeouts still end."""
    clock = VirtualClock()
    clock.jump(start)

    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(1)
        fired = loop.create_future()
        loop.call_later(0, fired.set_result, "now")  # due at exactly time()
        await fired
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(2.5):
                await asyncio.sleep(86_400)
        return clock.monotonic()

    assert run_bounded(clock, main) == pytest.approx(start + 3.5, abs=1e-3 * start / 2**24)


def test_two_hundred_days_of_waits_pass_in_virtual_time():
    """200 one-day sleeps in a row (17.28 million s, past 2**24) finish, as in a long scenario."""
    clock = VirtualClock()

    async def main():
        for _ in range(200):
            await asyncio.sleep(86_400)
        return clock.monotonic()

    assert run_bounded(clock, main) == pytest.approx(200 * 86_400)


def test_a_pause_is_time_that_never_passed():
    """Seven seconds paused leave both clocks where five seconds of running time put them."""
    source = VirtualClock(wall_origin=1000.0)
    clock = PausableClock(source)
    source.jump(2)
    with clock.paused():
        source.jump(7)
    source.jump(3)
    assert (clock.monotonic(), clock.wall()) == (5.0, 1005.0)


def test_a_paused_clock_stands_still():
    """While paused, monotonic and wall time read the same however long it lasts."""
    source = VirtualClock(wall_origin=1000.0)
    clock = PausableClock(source)
    source.jump(1)
    clock.pause()
    assert clock.is_paused
    source.jump(4)
    assert (clock.monotonic(), clock.wall()) == (1.0, 1001.0)
    clock.resume()
    assert not clock.is_paused
    source.jump(1)
    assert (clock.monotonic(), clock.wall()) == (2.0, 1002.0)


def test_pauses_neither_nest_nor_end_twice():
    """Pausing a paused clock, or resuming a running one, is a bug and says so."""
    clock = PausableClock(VirtualClock())
    with pytest.raises(RuntimeError, match="not paused"):
        clock.resume()
    clock.pause()
    with pytest.raises(RuntimeError, match="already paused"):
        clock.pause()


def test_a_pause_ends_with_its_block_however_the_block_ends():
    """An exception inside `paused()` (Ctrl-C at the prompt) still lets time run again."""
    source = VirtualClock()
    clock = PausableClock(source)
    with pytest.raises(KeyboardInterrupt), clock.paused():
        raise KeyboardInterrupt
    source.jump(2)
    assert clock.monotonic() == 2.0


def test_a_pausable_clock_runs_on_its_sources_loop():
    """Its event loop is the source's: a virtual source still jumps over idle waits."""
    loop = event_loop_for(PausableClock(VirtualClock()))
    try:
        assert type(loop).__name__ == "VirtualEventLoop"
    finally:
        loop.close()


def test_the_wall_origin_policy_is_fixed_for_tests_and_now_for_the_cli():
    """FIXED starts at VIRTUAL_WALL_ORIGIN; NOW starts at the real time, as --virtual-time does."""
    assert VirtualClock(wall_origin=WallOrigin.FIXED).wall() == VIRTUAL_WALL_ORIGIN
    assert abs(VirtualClock(wall_origin=WallOrigin.NOW).wall() - time.time()) < 60
    clock = runtime.choose_clock(virtual_time=True)
    assert isinstance(clock, VirtualClock)
    assert abs(clock.wall() - time.time()) < 60


def test_advancing_to_a_time_never_goes_backwards():
    """advance_to() sets the exact time ahead, and refuses one behind, as jump() does."""
    clock = VirtualClock()
    clock.advance_to(2.5)
    assert clock.monotonic() == 2.5
    with pytest.raises(ValueError, match="backwards"):
        clock.advance_to(1.0)


@pytest.mark.parametrize("threshold", [-1.0, float("nan")])
def test_an_autojump_threshold_is_a_duration(threshold):
    """A negative or NaN threshold is refused, on creation and when set later."""
    with pytest.raises(ValueError, match="autojump_threshold"):
        VirtualClock(autojump_threshold=threshold)
    clock = VirtualClock()
    with pytest.raises(ValueError, match="autojump_threshold"):
        clock.autojump_threshold = threshold
    assert clock.autojump_threshold == 0.0


async def test_the_loop_jumps_only_once_idle_for_the_threshold(clock):
    """With a long threshold, I/O that arrives first is served and time stays; at 0 it jumps."""
    clock.autojump_threshold = 60.0
    loop = asyncio.get_running_loop()
    sleeper = asyncio.create_task(asyncio.sleep(5))
    # The worker thread's answer wakes the loop long before 60 s of idleness.
    assert await loop.run_in_executor(None, lambda: 42) == 42
    assert clock.monotonic() == 0.0
    clock.autojump_threshold = 0.0
    await sleeper
    assert clock.monotonic() == 5.0


def test_a_positive_threshold_waits_that_long_for_real_before_jumping():
    """Idle with a timer pending, the loop waits the threshold in real time, then jumps."""
    clock = VirtualClock(autojump_threshold=0.05)

    async def main():
        started = time.perf_counter()
        await asyncio.sleep(10)
        return time.perf_counter() - started

    assert run_bounded(clock, main) >= 0.05
    assert clock.monotonic() == 10.0


def test_with_an_infinite_threshold_only_jump_moves_time():
    """autojump_threshold=inf never jumps by itself: a sleep ends when someone jumps the clock."""
    clock = VirtualClock(autojump_threshold=math.inf)

    async def main():
        loop = asyncio.get_running_loop()
        sleeper = asyncio.create_task(asyncio.sleep(5))
        await asyncio.sleep(0)
        assert clock.monotonic() == 0.0
        # From another thread, as a test harness would: wake the loop and move time.
        threading.Thread(target=loop.call_soon_threadsafe, args=(clock.jump, 5)).start()
        await sleeper
        return clock.monotonic()

    assert run_bounded(clock, main) == 5.0


@given(
    now=st.floats(0, 2.0**40, allow_nan=False),
    delay=st.floats(0, 86_400, allow_nan=False, exclude_min=True),
)
def test_a_timer_never_runs_before_its_due_time(now, delay):
    """However the float arithmetic rounds, a callback reads loop.time() >= its `when`."""
    clock = VirtualClock()
    clock.advance_to(now)
    when = now + delay

    async def main():
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        loop.call_at(when, lambda: fired.set_result(loop.time()))
        return await fired

    assert run_bounded(clock, main) >= when


def test_a_timer_days_away_is_reached_in_one_jump(monkeypatch):
    """A year of sleep is one jump to the timer, not one per asyncio's one-day select cap."""
    clock = VirtualClock()
    jumps: list[float] = []
    advance_to = VirtualClock.advance_to

    def recording(self, when: float) -> None:
        jumps.append(when)
        advance_to(self, when)

    monkeypatch.setattr(VirtualClock, "advance_to", recording)

    async def main():
        await asyncio.sleep(365 * 86_400)
        return clock.monotonic()

    assert run_bounded(clock, main) == 365 * 86_400
    assert jumps == [365 * 86_400]


def test_each_clock_gets_the_loop_that_runs_its_time():
    """A virtual clock gets a jumping loop; the system clock a stock one."""
    virtual = event_loop_for(VirtualClock())
    stock = event_loop_for(SystemClock())
    try:
        assert isinstance(virtual, VirtualEventLoop)
        assert not isinstance(stock, VirtualEventLoop)
    finally:
        virtual.close()
        stock.close()

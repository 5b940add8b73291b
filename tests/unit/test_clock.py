import asyncio
import threading
import time

import pytest

from resilience_cli.clock import VIRTUAL_WALL_ORIGIN, PausableClock, SystemClock, VirtualClock


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
    loop = clock.new_event_loop()
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop)
    finally:
        loop.close()


def run_bounded(clock: VirtualClock, main, *, real_seconds: float = 30.0):
    """Run `main()` on a fresh loop of `clock`; a loop that spins is stopped from a thread."""
    loop = clock.new_event_loop()
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
    loop = PausableClock(VirtualClock()).new_event_loop()
    try:
        assert type(loop).__name__ == "VirtualEventLoop"
    finally:
        loop.close()

import asyncio

import pytest

from resilience_cli.errors import ConfigError
from resilience_cli.patterns.timeout import (
    AttemptTimeoutError,
    TimeoutConfig,
    attempt_budget,
    within,
)


@pytest.mark.parametrize(
    ("attempt", "now", "deadline", "expected"),
    [
        (10.0, 0.0, None, (10.0, False)),
        (None, 0.0, None, (None, False)),
        (10.0, 0.0, 30.0, (10.0, False)),
        (10.0, 25.0, 30.0, (5.0, True)),
        (None, 25.0, 30.0, (5.0, True)),
        (10.0, 31.0, 30.0, (-1.0, True)),
    ],
)
def test_attempt_budget_is_the_sooner_of_timeout_and_deadline(attempt, now, deadline, expected):
    """Each attempt's timer is min(attempt timeout, deadline left), and says which bound."""
    assert attempt_budget(attempt, now, deadline) == expected


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"attempt": 0}, "timeout.attempt"),
        ({"total": -1}, "timeout.total"),
        ({"min_attempt": -0.01}, "timeout.min_attempt"),
        ({"min_attempt": float("nan")}, "timeout.min_attempt"),
        ({"min_attempt": float("inf")}, "timeout.min_attempt"),
        ({"total": 0.05, "min_attempt": 0.05}, "timeout.min_attempt"),
        ({"attempt": None, "total": 0.04}, "timeout.min_attempt"),
    ],
)
def test_timeout_config_rejects_nonsense(kwargs, field):
    """A timeout must be positive or off; the floor >= 0 and below the deadline."""
    with pytest.raises(ConfigError) as caught:
        TimeoutConfig(**kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "floor"),
    [
        ({}, 0.05),
        ({"min_attempt": 0}, 0.0),
        ({"attempt": 0.01, "total": 0.03}, 0.01),  # a short attempt timeout is its own floor
        ({"attempt": None, "total": None}, 0.05),
    ],
)
def test_the_attempt_floor_is_min_attempt_or_a_shorter_attempt_timeout(kwargs, floor):
    """An attempt may always have its whole attempt timeout, even one below min_attempt."""
    assert TimeoutConfig(**kwargs).floor == floor


async def test_within_returns_the_result_in_time(clock):
    """An operation that finishes before the timer returns its value, and the timer is gone."""

    async def quick() -> str:
        await asyncio.sleep(1)
        return "done"

    assert await within(quick, 2) == "done"
    await asyncio.sleep(5)  # the cancelled timer must not fire later
    assert clock.monotonic() == pytest.approx(6)


async def test_within_raises_timeout_error_at_the_deadline(clock):
    """A slow operation is cancelled at exactly the deadline and TimeoutError is raised."""
    cancelled = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(clock.monotonic())
            raise

    with pytest.raises(TimeoutError):
        await within(slow, 2)
    assert cancelled == [pytest.approx(2)]
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0


async def test_within_lets_an_outer_cancellation_through(clock):
    """Cancelling the caller (Ctrl-C) surfaces as CancelledError, not as a timeout."""

    async def slow() -> None:
        await asyncio.sleep(10)

    task = asyncio.create_task(within(slow, 5))
    await asyncio.sleep(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.monotonic() == pytest.approx(1)


async def test_within_keeps_a_result_that_beat_the_timer():
    """If the operation swallows the timer's cancellation and returns, its value is kept."""

    async def stubborn() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "kept"
        return "late"

    assert await within(stubborn, 1) == "kept"
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0


async def test_within_passes_other_errors_through():
    """An operation's own exception propagates unchanged."""

    async def broken() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await within(broken, 1)


def test_within_needs_a_task():
    """Called from a plain loop callback, outside any task, it says so clearly."""
    loop = asyncio.new_event_loop()
    errors: list[RuntimeError] = []

    async def never() -> None:
        raise AssertionError

    def step() -> None:
        coroutine = within(never, 1)
        try:
            coroutine.send(None)
        except RuntimeError as exc:
            errors.append(exc)
        finally:
            coroutine.close()
            loop.stop()

    loop.call_soon(step)
    loop.run_forever()
    loop.close()
    assert "inside a task" in str(errors[0])


async def test_within_spends_the_timers_cancel_when_another_error_follows():
    """Timer fired, then the operation raised something else: the cancel count is restored."""

    async def converts() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            raise ValueError("converted") from None

    with pytest.raises(ValueError, match="converted"):
        await within(converts, 1)
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    with pytest.raises(TimeoutError):  # an outer timeout still works afterwards
        async with asyncio.timeout(1):
            await asyncio.sleep(5)


async def test_within_raises_its_own_subclass():
    """The timer's expiry is an AttemptTimeoutError, a TimeoutError the pipeline can tell apart."""

    async def slow() -> None:
        await asyncio.sleep(10)

    with pytest.raises(AttemptTimeoutError):
        await within(slow, 1)

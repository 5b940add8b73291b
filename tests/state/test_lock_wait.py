import asyncio

import pytest

from resilience_cli.errors import StateLockTimeoutError
from resilience_cli.state import JsonFileStore
from resilience_cli.state.lock_wait import wait_for_transaction


async def test_waiting_is_an_ordinary_transaction_when_the_lock_is_free(tmp_path):
    """With the lock free, wait_for_transaction() reads and writes like transaction()."""
    store = JsonFileStore(tmp_path / "s.json")
    async with wait_for_transaction(store) as transaction:
        assert transaction.snapshot is None
        transaction.replace({"format": 1})
    assert store.load() == {"format": 1}


async def test_waiting_writes_nothing_when_the_block_fails(tmp_path):
    """An exception inside wait_for_transaction() leaves the file as it was."""
    store = JsonFileStore(tmp_path / "s.json")

    async def fail_inside() -> None:
        async with wait_for_transaction(store) as transaction:
            transaction.replace({"format": 1})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await fail_inside()
    assert store.load() is None


@pytest.mark.real_time
async def test_waiting_for_the_lock_says_so_and_can_be_cancelled(tmp_path):
    """While another command holds the lock: one note on stderr, and Ctrl-C gets through."""
    holder = JsonFileStore(tmp_path / "s.json")
    waiter = JsonFileStore(tmp_path / "s.json", lock_timeout=30)
    notes: list[str] = []
    waiting = asyncio.Event()

    def note(text: str) -> None:
        notes.append(text)
        waiting.set()

    async def wait_for_lock() -> None:
        async with wait_for_transaction(waiter, note=note):
            raise AssertionError("the lock was held")

    with holder.transaction():
        task = asyncio.create_task(wait_for_lock())
        async with asyncio.timeout(10):  # on the note, not after a guess at how long it takes
            await waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(notes) == 1
    assert notes[0].startswith("waiting for another resilience command to release")


async def test_a_lock_held_past_the_timeout_is_an_error_naming_it(tmp_path):
    """With lock_timeout 0 and the lock held, it gives up at once naming the lock file."""
    holder = JsonFileStore(tmp_path / "s.json")
    waiter = JsonFileStore(tmp_path / "s.json", lock_timeout=0)
    with holder.transaction(), pytest.raises(StateLockTimeoutError, match=r"s\.json\.lock"):
        async with wait_for_transaction(waiter):
            pass

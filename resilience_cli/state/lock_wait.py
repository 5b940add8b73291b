"""Wait for the state lock and say so: a command that stands still must say why.

A transaction's lock is taken with a blocking wait (`filelock` polls with `time.sleep`).

- Inside a running command (`wait_for_transaction`) that would freeze the event loop:
  Ctrl-C could not cancel the wait. So it tries the lock without waiting, between tries
  sleeps in a worker thread (real time even on a virtual clock, since the other command
  runs in real time), and gives up after the store's `lock_timeout`.
- `force-open` and `reset` have no event loop (`block_for_transaction`): they try once,
  and if the lock is held, say so and then wait with the store's own blocking wait, which
  Ctrl-C interrupts.

Both say once on stderr what they wait for. A run holds the lock for its whole length,
so the line says that too.
"""

from __future__ import annotations

import time
from contextlib import ExitStack, asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import StateLockTimeoutError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from resilience_cli.state.store import BreakerStore, StateTransaction

POLL_SECONDS: Final = 0.05


def waiting_note(lock_path: str, timeout: float) -> str:
    """The one line a command prints when it finds the lock held."""
    return (
        f"waiting for another resilience command to release {lock_path} (up to {timeout:g}s;"
        " a run holds it until it ends; --lock-timeout changes the wait)"
    )


@asynccontextmanager
async def wait_for_transaction(
    store: BreakerStore,
    *,
    note: Callable[[str], None] | None = None,
    patient: bool = True,
    replace_broken: bool = False,
) -> AsyncIterator[StateTransaction]:
    """The store's transaction, once the lock is ours; cancellable while waiting.

    `patient=False` tries once: for clean-up after Ctrl-C, which must not hang.
    `replace_broken` is passed on to the store (`resilience reset`'s way out).
    """
    began = time.monotonic()
    noted = False
    while True:
        stack = ExitStack()
        try:
            transaction = stack.enter_context(
                store.transaction(wait=0, replace_broken=replace_broken)
            )
        except StateLockTimeoutError as busy:
            stack.close()
            if not patient:
                raise
            if time.monotonic() - began >= store.lock_timeout:
                raise StateLockTimeoutError(busy.lock_path, store.lock_timeout) from None
            if note is not None and not noted:
                note(waiting_note(busy.lock_path, store.lock_timeout))
                noted = True
            import asyncio  # noqa: PLC0415 - `force-open` and `reset` (turn_now) never need it

            await asyncio.to_thread(time.sleep, POLL_SECONDS)
            continue
        with stack:
            yield transaction
        return


@contextmanager
def block_for_transaction(
    store: BreakerStore,
    *,
    note: Callable[[str], None] | None = None,
    replace_broken: bool = False,
) -> Iterator[StateTransaction]:
    """The store's transaction for a command without an event loop; says so if it waits."""
    stack = ExitStack()
    try:
        transaction = stack.enter_context(store.transaction(wait=0, replace_broken=replace_broken))
    except StateLockTimeoutError as busy:
        stack.close()
        if store.lock_timeout <= 0:
            raise
        if note is not None:
            note(waiting_note(busy.lock_path, store.lock_timeout))
        transaction = stack.enter_context(store.transaction(replace_broken=replace_broken))
    with stack:
        yield transaction

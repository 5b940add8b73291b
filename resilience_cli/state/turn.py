"""Wait for the state lock inside the event loop, so that Ctrl-C still lands.

A transaction's lock is taken with a blocking wait (`filelock` polls with `time.sleep`).
Inside a running command that would freeze the event loop: Ctrl-C could not cancel the
wait, and nothing would say why the command stands still. `turn` tries the lock without
waiting, and between tries sleeps in a worker thread (real time even on a virtual clock,
since the other command runs in real time), says once on stderr what it is waiting for,
and gives up after the store's `lock_timeout`.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import StateLockTimeoutError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from resilience_cli.state.store import BreakerStore, StateTransaction

POLL_SECONDS: Final = 0.05


@asynccontextmanager
async def turn(
    store: BreakerStore,
    *,
    note: Callable[[str], None] | None = None,
    patient: bool = True,
) -> AsyncIterator[StateTransaction]:
    """The store's transaction, once the lock is ours; cancellable while waiting.

    `patient=False` tries once: for clean-up after Ctrl-C, which must not hang.
    """
    began = time.monotonic()
    noted = False
    while True:
        stack = ExitStack()
        try:
            transaction = stack.enter_context(store.transaction(wait=0))
        except StateLockTimeoutError as busy:
            stack.close()
            if not patient:
                raise
            if time.monotonic() - began >= store.lock_timeout:
                raise StateLockTimeoutError(busy.lock_path, store.lock_timeout) from None
            if note is not None and not noted:
                note(f"waiting for another resilience command to release {busy.lock_path}")
                noted = True
            await asyncio.to_thread(time.sleep, POLL_SECONDS)
            continue
        with stack:
            yield transaction
        return

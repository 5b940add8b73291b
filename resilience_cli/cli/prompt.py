"""`run --interactive`: before each step, wait for Enter, with the run's clock stopped.

Two things a class needs from the prompt:

- The time a teacher spends explaining must not change what the next step shows: the
  run's `PausableClock` stands still while the prompt waits (see `clock.py`).
- Ctrl-C at the prompt ends the run at once. The line is read on a daemon thread of our
  own, not with `asyncio.to_thread`, whose worker the event loop joins when it closes:
  Ctrl-C at the prompt used to wait there for one more Enter. A daemon thread blocked in
  `os.read` is left behind at exit, holding nothing (not `sys.stdin`, whose buffer lock
  such a thread would hold through the interpreter's shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from resilience_cli import palette
from resilience_cli.clock import PausableClock

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from rich.console import Console

    from resilience_cli.clock import Clock

_CHUNK = 1024


class LineSource(Protocol):
    """Where the prompt's Enter comes from."""

    def next_line(self) -> Awaitable[bool]:
        """Wait for the next line; False once the input has ended."""
        ...


class StdinLines:
    """Lines of a file descriptor (standard input by default), read on a daemon thread.

    One thread reads for the whole process and keeps what it read, so lines typed ahead
    are kept for the next prompts (as a terminal keeps them), and a wait that Ctrl-C
    cancelled loses nothing. Each event loop that waits is woken through its own
    `call_soon_threadsafe`: a run makes one loop per scenario file.
    """

    def __init__(self, fd: int | None = None, read: Callable[[int, int], bytes] = os.read) -> None:
        self._fd = fd
        self._read = read
        self._lock = threading.Lock()
        self._data = bytearray()
        self._ended = False
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None
        self._thread: threading.Thread | None = None

    async def next_line(self) -> bool:
        """Wait for the next line; False once the input has ended (at once from then on)."""
        while True:
            with self._lock:
                end = self._data.find(b"\n")
                if end >= 0:
                    del self._data[: end + 1]
                    return True
                if self._ended:
                    return False
                loop = asyncio.get_running_loop()
                waiter = loop.create_future()
                self._waiter = (loop, waiter)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._read_all, name="resilience-prompt", daemon=True
                    )
                    self._thread.start()
            await waiter

    def _read_all(self) -> None:
        fd = self._fd if self._fd is not None else _stdin_fd()
        while True:
            try:
                chunk = b"" if fd is None else self._read(fd, _CHUNK)
            except OSError:
                chunk = b""  # a closed or unreadable input is an ended one
            with self._lock:
                if chunk:
                    self._data += chunk
                else:
                    self._ended = True
                waiter, self._waiter = self._waiter, None
            if waiter is not None:
                loop, future = waiter
                # The loop may be closed by now (the run ended): then nobody waits.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_wake, future)
            if not chunk:
                return


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # no stdin at all, or not a real file
        return None


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():  # a cancelled wait (Ctrl-C) is not woken
        future.set_result(None)


@dataclass(frozen=True, slots=True)
class Prompt:
    """Where Enter comes from, and the run's clock, which stands still while it waits."""

    lines: LineSource
    clock: PausableClock | None  # None in virtual time: nothing moves while nothing is pending

    @classmethod
    def for_run(cls, clock: Clock, *, virtual_time: bool) -> Prompt:
        """Standard input, and `clock` made pausable unless it is virtual."""
        return cls(StdinLines(), None if virtual_time else PausableClock(clock))

    async def wait(self, console: Console | None) -> None:
        """Ask for Enter and wait for it, the run's clock standing still meanwhile."""
        if console is not None:
            console.print("press Enter to run this step", style=palette.STRONG, markup=False)
        if self.clock is None:
            await self.lines.next_line()
            return
        with self.clock.paused():
            await self.lines.next_line()

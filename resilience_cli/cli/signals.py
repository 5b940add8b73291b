"""SIGTERM and SIGHUP stop a run the way Ctrl-C does: nothing that happened is lost.

`timeout`, a CI job's cancel button and `docker stop` send SIGTERM; closing the terminal
sends SIGHUP. Left to their defaults, both kill the process on the spot: no summary, and
the breaker's new state never saved. Here either one cancels the run's task, exactly as
asyncio.Runner does for Ctrl-C, so the run saves the state, prints what it has, and the
command exits with 128 + the signal's number (143, 129), the shell's convention.

Portability: Windows' Proactor loop has no `add_signal_handler` (NotImplementedError),
and Windows has no SIGHUP. There the handler goes through `signal.signal`, and hands the
cancellation to the loop thread-safely. Ctrl-C is asyncio.Runner's everywhere.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import EXIT_INTERRUPTED

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Iterator
    from types import FrameType

STOP_SIGNAL_NAMES: Final = ("SIGTERM", "SIGHUP")
_SIGNAL_EXIT_BASE: Final = 128


def stop_signals() -> tuple[signal.Signals, ...]:
    """The stop signals this system has (Windows has no SIGHUP)."""
    found = (getattr(signal, name, None) for name in STOP_SIGNAL_NAMES)
    return tuple(sig for sig in found if sig is not None)


class Interruption:
    """What stopped a run early: a stop signal, or (when none was seen) Ctrl-C."""

    __slots__ = ("signal",)

    def __init__(self) -> None:
        self.signal: int | None = None

    @property
    def exit_code(self) -> int:
        """128 + the stop signal's number (143 for SIGTERM, 129 for SIGHUP), else 130."""
        return EXIT_INTERRUPTED if self.signal is None else _SIGNAL_EXIT_BASE + self.signal

    @contextmanager
    def handled(
        self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[object]
    ) -> Iterator[None]:
        """While inside, the first stop signal cancels `task`; later ones change nothing.

        A second signal must not cancel the clean-up that the first one started (saving
        the state, a scenario's `finally` steps).
        """

        def stop(received: int) -> None:
            if self.signal is None:
                self.signal = received
                task.cancel()

        undo = [_install(loop, sig, stop) for sig in stop_signals()]
        try:
            yield
        finally:
            for restore in reversed(undo):
                restore()


def _install(
    loop: asyncio.AbstractEventLoop, sig: signal.Signals, stop: Callable[[int], None]
) -> Callable[[], None]:
    """Route `sig` to `stop` on the loop; returns what puts the old handling back."""
    previous = signal.getsignal(sig)

    def restore() -> None:
        if previous is not None:  # None: set outside Python, and left alone
            signal.signal(sig, previous)

    try:
        loop.add_signal_handler(sig, stop, int(sig))
    except (NotImplementedError, RuntimeError):  # Windows' Proactor loop; not the main thread
        pass
    else:

        def remove() -> None:
            loop.remove_signal_handler(sig)  # which sets SIG_DFL, whatever was there before
            restore()

        return remove

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del frame
        loop.call_soon_threadsafe(stop, signum)

    try:
        signal.signal(sig, on_signal)
    except ValueError:  # not the main thread: the process's default stays
        return lambda: None
    return restore

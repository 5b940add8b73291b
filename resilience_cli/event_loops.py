"""Which event loop waits in a clock's time: the one seam between time and asyncio.

A clock only answers the time (`clock.py`); a command that must wait asks
`event_loop_for(clock)` for a loop whose timers run in that clock's time.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from resilience_cli.clock import PausableClock
from resilience_cli.virtual_time import VirtualClock, VirtualEventLoop

if TYPE_CHECKING:
    from resilience_cli.clock import Clock


def event_loop_for(clock: Clock) -> asyncio.AbstractEventLoop:
    """A new event loop whose timers run in `clock`'s time.

    A virtual clock gets its own jumping loop; a pausable clock, its source's loop; any
    other clock (the system's) a stock asyncio loop, whose time is `time.monotonic`.
    """
    while isinstance(clock, PausableClock):
        clock = clock.source
    if isinstance(clock, VirtualClock):
        return VirtualEventLoop(clock)
    return asyncio.new_event_loop()

"""`logs/app.log`: every decision of a run as one JSON object per line, through structlog.

Each line carries a timestamp (from the run's clock, so virtual runs log virtual time),
the run id, the command, a level, the dotted past-tense event name and the event's flat
fields, e.g.::

    {"timestamp": "...", "level": "warning", "event": "breaker.opened", "run_id": "3f9c...",
     "command": "error", "from_state": "closed", "to_state": "open",
     "reason": "5 consecutive failures >= threshold 5, so OPEN"}

No global structlog configuration is touched: the logger is wrapped per run, so tests and
library users keep theirs.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TextIO

import structlog

if TYPE_CHECKING:
    from pathlib import Path

    from structlog.typing import EventDict, WrappedLogger

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import Event

_WARNINGS: Final = frozenset({"breaker.opened", "breaker.forced_open", "call.fell_back"})


class _ClockTimestamper:
    """Stamps each line with the run's wall clock, not the machine's."""

    __slots__ = ("_clock",)

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        del logger, method
        event_dict["timestamp"] = datetime.fromtimestamp(self._clock.wall(), UTC).isoformat()
        return event_dict


class EventLog:
    """An `EventSink` that writes every pattern event to a JSON-lines file."""

    def __init__(self, file: TextIO, *, clock: Clock, run_id: str, command: str) -> None:
        self._file = file
        self._fields: dict[type, tuple[str, ...]] = {}
        self._logger = structlog.wrap_logger(
            structlog.WriteLogger(file),
            processors=[
                structlog.processors.add_log_level,
                _ClockTimestamper(clock),
                structlog.processors.JSONRenderer(sort_keys=False),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            context_class=dict,
            cache_logger_on_first_use=True,
        ).bind(run_id=run_id, command=command)

    def __call__(self, event: Event, /) -> None:
        """Log one pattern event with its flat fields."""
        names = self._fields.get(type(event))
        if names is None:
            names = tuple(field.name for field in dataclasses.fields(event))
            self._fields[type(event)] = names
        fields = {name: getattr(event, name) for name in names}
        name = event.name
        if name in _WARNINGS:
            self._logger.warning(name, **fields)
        else:
            self._logger.info(name, **fields)

    def info(self, event: str, **fields: object) -> None:
        """Log a run-level event (`run.started`, `run.finished`)."""
        self._logger.info(event, **fields)

    def close(self) -> None:
        """Flush and close the file."""
        self._file.close()


def open_event_log(path: Path, *, clock: Clock, run_id: str, command: str) -> EventLog:
    """Append to `path`, creating its folder; the caller closes the log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    file = path.open("a", encoding="utf-8")
    return EventLog(file, clock=clock, run_id=run_id, command=command)

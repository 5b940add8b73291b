"""The replay upstream: answers a request at any time as the trace says the upstream did.

A request at `at` gets the answer of the latest recorded request of the same method and
path that reached the upstream at or before `at` (the earliest one, before the first).
The upstream is thus a step function of time per request, which every policy set faces
alike, whatever it sends and when. Two approximations follow, stated in docs/patterns.md:

- where the recorded run sent nothing for a while (its breaker was open), the upstream is
  taken to have gone on as it was last seen;
- a request the trace never saw reach the upstream is answered as any request was at
  that time, and with a trace that holds no answer at all, `200` at once.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Final

from resilience_cli.trace._records import Answer, AnswerKind

if TYPE_CHECKING:
    from resilience_cli.trace.reader import Trace

HEALTHY: Final = Answer(AnswerKind.STATUS, 0.0, 200)


class _History:
    """One request's answers in time order, and the answer at any time."""

    __slots__ = ("answers", "times")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.answers: list[Answer] = []

    def at(self, at: float) -> Answer:
        """The answer of the latest request at or before `at` (the first, before it)."""
        times = self.times
        if not times:
            return HEALTHY
        index = bisect.bisect_right(times, at) - 1
        return self.answers[max(index, 0)]


class ReplayUpstream:
    """What the traced upstream answered, looked up by request and time."""

    __slots__ = ("_any", "_by_request")

    def __init__(self, trace: Trace) -> None:
        self._by_request: dict[str, _History] = {}
        self._any = _History()
        for exchange in trace.exchanges:  # in time order
            history = self._by_request.get(exchange.request)
            if history is None:
                history = self._by_request[exchange.request] = _History()
            for into in (history, self._any):
                into.times.append(exchange.at)
                into.answers.append(exchange.answer)

    def answer(self, request: str, at: float) -> Answer:
        """What the upstream did for `request` at `at`, as the trace tells it."""
        return self.history(request).at(at)

    def history(self, request: str) -> _History:
        """The answers `request` gets over time (a replay looks each up once)."""
        return self._by_request.get(request, self._any)

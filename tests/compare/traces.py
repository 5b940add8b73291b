"""Traces made in code for the compare tests: one request, a healthy-failing-healed upstream."""

from __future__ import annotations

from resilience_cli.trace import Answer, AnswerKind, Arrival, Exchange, Trace

OK = Answer(AnswerKind.STATUS, 0.01, 200)
FAILED = Answer(AnswerKind.STATUS, 0.01, 500)


def phased(
    *,
    seconds: int = 100,
    rate: float = 1.0,
    failing: tuple[float, float] = (10.0, 40.0),
    bad: Answer = FAILED,
    request: str = "GET /api",
) -> Trace:
    """`rate` calls a second for `seconds`; the upstream answers `bad` within `failing`."""
    arrivals, exchanges = [], []
    for index in range(int(seconds * rate)):
        at = index / rate
        arrivals.append(Arrival(at, request))
        answer = bad if failing[0] <= at < failing[1] else OK
        exchanges.append(Exchange(at, request, answer))
    return Trace("test", tuple(arrivals), tuple(exchanges))

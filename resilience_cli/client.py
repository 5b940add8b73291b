"""The resilient HTTP client: httpx wrapped in the pattern pipeline.

`ResilientClient` sends each `Request` through a `Pipeline[httpx.Response]` and returns a
`CallOutcome`. What counts as a failure is `HttpClassifier`'s call, by the run's
`FailureRule`: by default 5xx and 429 answers, timeouts and transport errors (a refused
connection, a dropped one), and a 4xx is a success for the patterns: the upstream
answered. A request with an `ok_status` of its own is judged by it.

Throughput: httpcore rescans its whole pool for every queued request, so one client with
many connections collapses under concurrency. The client therefore spreads calls over
several `httpx.AsyncClient`s of at most `CONNECTIONS_PER_CLIENT` connections each, always
to the least busy one. `benchmarks/bench_throughput.py` measures both ways side by side.

Timeouts are the pipeline's (one loop timer per attempt, `patterns.timeout.within`),
never httpx's: httpx's own fire late under load, so its clients get `timeout=None`.

A target where nothing answers at all (nothing listening, a host that does not resolve)
only shows up as `connect_error` fallbacks and an OPEN breaker. So the first such error
of a client is also told, once, to `on_unreachable` in plain words: the command prints
it. The check sits on the exception path, and costs a successful call nothing.
"""

from __future__ import annotations

import asyncio
import math
import socket
from typing import TYPE_CHECKING, Protocol

import httpx

from resilience_cli.failure_rule import DEFAULT_RULE, FailureRule
from resilience_cli.patterns import BreakerState, Failure, Fallback, Reason
from resilience_cli.patterns.retry import parse_retry_after
from resilience_cli.trace._records import Answer, AnswerKind

if TYPE_CHECKING:
    import ssl
    from collections.abc import Awaitable, Callable

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import CallOutcome, Classifier, Pipeline
    from resilience_cli.request import Request
    from resilience_cli.trace import Recorder

CONNECTIONS_PER_CLIENT = 5
_REFUSING = (BreakerState.OPEN, BreakerState.FORCED_OPEN)
FALLBACK_HEADER = "x-resilience-fallback"


class HttpClassifier:
    """Failures of an HTTP exchange by a `FailureRule`, with the upstream's Retry-After.

    Under the default rule a failure's detail is as it always was (`HTTP 503`); under any
    other, it says which rule decided (`HTTP 404: not in ok_status [200] of 'lookup'`).
    """

    __slots__ = ("_clock", "_default", "_rule")

    def __init__(self, clock: Clock, rule: FailureRule = DEFAULT_RULE) -> None:
        self._clock = clock
        self._rule = rule
        self._default = rule == DEFAULT_RULE

    @property
    def rule(self) -> FailureRule:
        """The rule it judges by."""
        return self._rule

    def result(self, response: httpx.Response, /) -> Failure | None:
        """A status the rule fails is a failure (5xx and 429 retryable); else a success."""
        status = response.status_code
        if self._default and (status < 429 or 429 < status < 500):
            return None  # the common case, kept short
        failed = self._rule.status_failure(status)
        if failed is None:
            return None
        reason, retryable, why = failed
        retry_after = None
        header = response.headers.get("retry-after")
        if header is not None:
            retry_after = parse_retry_after(header, self._clock.wall())
        detail = f"HTTP {status}" if self._default else why
        return Failure(reason, retryable=retryable, detail=detail, retry_after=retry_after)

    def error(self, error: Exception, /) -> Failure:
        """Transport errors are retryable: connection refused or dropped, httpx timeouts."""
        detail = f"{type(error).__name__}: {error}".rstrip(": ")
        if isinstance(error, httpx.TimeoutException | TimeoutError):
            return self._transport(Reason.TIMEOUT, detail, counts=self._rule.timeout)
        if isinstance(error, httpx.TransportError | ConnectionError):
            return self._transport(Reason.CONNECT_ERROR, detail, counts=self._rule.connect)
        return Failure(Reason.ERROR, retryable=False, detail=detail)

    def timed_out(self, failure: Failure, /) -> Failure:
        """The attempt timeout: a retryable failure, unless the rule leaves timeouts out."""
        if self._rule.timeout:
            return failure
        return self._transport(failure.reason, failure.detail, counts=False)

    def _transport(self, reason: Reason, detail: str, *, counts: bool) -> Failure:
        if counts:
            return Failure(reason, retryable=True, detail=detail)
        # No answer to return, but the rule does not count it: no retry, no breaker verdict.
        why = f"{detail} (not counted: {self._rule.describe()})"
        return Failure(reason, retryable=False, detail=why, counted=False)


def fallback_response(reason: Reason) -> httpx.Response:
    """The contingency answer: a 200 that says it is a fallback, and why."""
    return httpx.Response(
        200,
        headers={FALLBACK_HEADER: reason.value},
        json={"fallback": True, "reason": reason.value},
    )


FALLBACK: Fallback[httpx.Response] = Fallback(fallback_response)


def describe_connect_error(error: BaseException, where: str) -> str:
    """One line on why nothing answered at `where`: refused, not resolved, or the error."""
    if _caused_by(error, ConnectionRefusedError):
        return f"connection refused at {where}: is the server running?"
    if _caused_by(error, socket.gaierror):
        return f"cannot resolve the host of {where}: is the URL right?"
    return f"cannot connect to {where}: {type(error).__name__}: {error}".rstrip(": ")


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is anywhere in the chain behind `error` (httpx and anyio wrap it)."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


class Target(Protocol):
    """Where requests go: started on first use, so a run that never calls out pays nothing."""

    async def start(self) -> str:
        """Make the target reachable and return its base URL."""
        ...

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """The transport to reach it through, or None for real sockets."""
        ...

    async def close(self) -> None:
        """Release whatever `start` acquired."""
        ...

    def describe(self) -> str:
        """A few words for reports: `embedded http://127.0.0.1:PORT`, a URL, `in-process`."""
        ...


class ResilientClient:
    """Sends requests through the pipeline, spread over small httpx clients.

    Args:
        pipeline: The patterns every request goes through.
        target: Where requests go; started on the first one.
        concurrency: Calls in flight at most, which sizes the shards.
        on_unreachable: Told once, in one line, when the target cannot be reached at all.
        recorder: Hears each call's arrival and each upstream answer (`--record`).
    """

    def __init__(
        self,
        pipeline: Pipeline[httpx.Response],
        target: Target,
        *,
        concurrency: int = 1,
        on_unreachable: Callable[[str], None] | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.pipeline = pipeline
        self._recorder = recorder
        self._target = target
        self._on_unreachable = on_unreachable
        self._shards = max(1, math.ceil(concurrency / CONNECTIONS_PER_CLIENT))
        self._clients: list[httpx.AsyncClient] = []
        self._in_flight: list[int] = []
        self._starting = asyncio.Lock()
        self._judges: dict[Request, Classifier[httpx.Response]] = {}

    async def send(self, request: Request) -> CallOutcome[httpx.Response]:
        """One logical call of `request`, judged by its `ok_status` when it has one."""
        judge = None
        if request.ok_status is not None:
            judge = self._judges.get(request)
            if judge is None:
                rule = self._rule().for_request(request.label, request.ok_status)
                judge = self._judges[request] = HttpClassifier(self.pipeline.clock, rule)
        return await self.request(
            request.method,
            request.path,
            params=request.query or None,
            headers=request.send_headers(),
            content=request.content(),
            classifier=judge,
        )

    def _rule(self) -> FailureRule:
        classifier = self.pipeline.classifier
        return classifier.rule if isinstance(classifier, HttpClassifier) else DEFAULT_RULE

    async def request(  # noqa: PLR0913 - what httpx sends, and who judges it
        self,
        method: str,
        path: str,
        *,
        params: tuple[tuple[str, str], ...] | None = None,
        headers: list[tuple[str, str]] | None = None,
        content: bytes | None = None,
        classifier: Classifier[httpx.Response] | None = None,
    ) -> CallOutcome[httpx.Response]:
        """One logical call; failures and refusals come back as a fallback outcome."""
        if not self._clients and self._breaker_lets_calls_through():
            # Our own start-up (the embedded server, the HTTP clients) is no attempt's
            # time: done before the pipeline, it cannot eat a short attempt timeout. A
            # breaker that refuses every call still starts nothing.
            await self._start()

        async def send() -> httpx.Response:
            clients = self._clients or await self._start()
            # The least busy shard: no client ever holds more requests than connections,
            # so none queues in httpcore's pool, where every queued request rescans it.
            loads = self._in_flight
            shard = loads.index(min(loads))
            loads[shard] += 1
            try:
                return await clients[shard].request(
                    method, path, params=params, headers=headers, content=content
                )
            except httpx.ConnectError as error:
                self._unreachable(error)
                raise
            finally:
                loads[shard] -= 1

        recorder = self._recorder
        if recorder is None:
            return await self.pipeline.call(send, classifier)
        return await self._recorded(recorder, method, path, send, classifier)

    async def _recorded(
        self,
        recorder: Recorder,
        method: str,
        path: str,
        send: Callable[[], Awaitable[httpx.Response]],
        classifier: Classifier[httpx.Response] | None,
    ) -> CallOutcome[httpx.Response]:
        """The call, with its arrival and each upstream answer told to `recorder`.

        An attempt cut off by its timer sees only a cancellation, as Ctrl-C would show it:
        it is told as a timeout once the call goes on (another attempt, or its outcome),
        which an interrupted call never does.
        """
        clock = self.pipeline.clock
        recorder.arrived(clock.monotonic(), method, path)
        cut: list[tuple[float, float]] = []

        def tell_cut() -> None:
            for began, waited in cut:
                recorder.answered(began, method, path, Answer(AnswerKind.TIMEOUT, waited))
            cut.clear()

        async def recorded_send() -> httpx.Response:
            tell_cut()
            began = clock.monotonic()
            try:
                response = await send()
            except asyncio.CancelledError:
                cut.append((began, clock.monotonic() - began))
                raise
            except httpx.TimeoutException:
                answer = Answer(AnswerKind.TIMEOUT, clock.monotonic() - began)
                recorder.answered(began, method, path, answer)
                raise
            except (httpx.TransportError, ConnectionError):
                answer = Answer(AnswerKind.CONNECT_ERROR, clock.monotonic() - began)
                recorder.answered(began, method, path, answer)
                raise
            answer = Answer(AnswerKind.STATUS, clock.monotonic() - began, response.status_code)
            recorder.answered(began, method, path, answer)
            return response

        outcome = await self.pipeline.call(recorded_send, classifier)
        tell_cut()
        return outcome

    async def start(self) -> None:
        """Start the target and the HTTP clients now rather than on the first request.

        A stress run does it before its first arrival is due: the start-up is then not
        counted as the first arrivals' lateness.
        """
        if not self._clients:
            await self._start()

    def _unreachable(self, error: httpx.ConnectError) -> None:
        tell, self._on_unreachable = self._on_unreachable, None  # once per client
        if tell is not None:
            tell(describe_connect_error(error, self._target.describe()))

    def _breaker_lets_calls_through(self) -> bool:
        breaker = self.pipeline.breaker
        return breaker is None or breaker.state not in _REFUSING

    async def _start(self) -> list[httpx.AsyncClient]:
        async with self._starting:
            if not self._clients:
                base_url = await self._target.start()
                transport = self._target.transport()
                # Building an SSL context loads the CA bundle, which is slow; plain http
                # needs none, and https shards share one.
                verify: ssl.SSLContext | bool = (
                    httpx.create_ssl_context() if base_url.startswith("https:") else False
                )
                limits = httpx.Limits(
                    max_connections=CONNECTIONS_PER_CLIENT,
                    max_keepalive_connections=CONNECTIONS_PER_CLIENT,
                )
                self._clients = [
                    # timeout=None: the pipeline's within() bounds every attempt.
                    httpx.AsyncClient(
                        base_url=base_url,
                        transport=transport,
                        limits=limits,
                        verify=verify,
                        timeout=None,  # noqa: S113
                    )
                    for _ in range(self._shards)
                ]
                self._in_flight = [0] * self._shards
            return self._clients

    @property
    def started(self) -> bool:
        """Whether any request reached the HTTP layer (and so started the target)."""
        return bool(self._clients)

    async def aclose(self) -> None:
        """Close the httpx clients and the target."""
        for client in self._clients:
            await client.aclose()
        await self._target.close()

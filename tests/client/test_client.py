import asyncio
import random
import socket
from email.utils import formatdate

import httpx
import pytest
import respx

from resilience_cli.client import (
    CONNECTIONS_PER_CLIENT,
    FALLBACK,
    FALLBACK_HEADER,
    HttpClassifier,
    ResilientClient,
    describe_connect_error,
)
from resilience_cli.patterns import (
    BreakerConfig,
    EventList,
    OutcomeKind,
    Pipeline,
    Policies,
    Reason,
    RetryConfig,
    TimeoutConfig,
)
from resilience_cli.request import Request
from resilience_cli.targets import InProcessTarget, RemoteTarget
from resilience_cli.virtual_time import VirtualClock

URL = "http://upstream.test"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (200, None),
        (204, None),
        (404, None),
        (418, None),
        (429, Reason.HTTP_429),
        (500, Reason.HTTP_5XX),
        (503, Reason.HTTP_5XX),
    ],
)
def test_statuses_are_classified(status, reason):
    """5xx and 429 are retryable failures; every other status is a success."""
    failure = HttpClassifier(VirtualClock()).result(httpx.Response(status))
    assert (failure.reason if failure else None) == reason
    assert failure is None or failure.retryable


def test_retry_after_is_read_in_both_forms():
    """Retry-After in seconds or as an HTTP-date becomes seconds to wait."""
    clock = VirtualClock()
    classify = HttpClassifier(clock)
    seconds = classify.result(httpx.Response(429, headers={"retry-after": "7"}))
    dated = classify.result(
        httpx.Response(503, headers={"retry-after": formatdate(clock.wall() + 12, usegmt=True)})
    )
    assert seconds is not None
    assert seconds.retry_after == 7
    assert dated is not None
    assert dated.retry_after == pytest.approx(12)


@pytest.mark.parametrize(
    ("error", "reason", "retryable"),
    [
        (httpx.ConnectError("refused"), Reason.CONNECT_ERROR, True),
        (httpx.ReadError("reset"), Reason.CONNECT_ERROR, True),
        (httpx.ReadTimeout("slow"), Reason.TIMEOUT, True),
        (ConnectionRefusedError(), Reason.CONNECT_ERROR, True),
        (ValueError("bug"), Reason.ERROR, False),
    ],
)
def test_transport_errors_are_classified(error, reason, retryable):
    """Transport errors are retryable connect errors or timeouts; other errors are final."""
    failure = HttpClassifier(VirtualClock()).error(error)
    assert failure.reason is reason
    assert failure.retryable is retryable


def test_the_fallback_answer_says_why():
    """The contingency response is a 200 marked as a fallback with its reason."""
    response = FALLBACK.answer(Reason.BREAKER_OPEN)
    assert response.status_code == 200
    assert response.headers[FALLBACK_HEADER] == "breaker_open"
    assert response.json() == {"fallback": True, "reason": "breaker_open"}


def make_client(clock, target, policies=None, concurrency=1, events=None) -> ResilientClient:
    pipeline = Pipeline.from_policies(
        policies or Policies(rate_limiter=None),
        clock=clock,
        seed=random.Random(3),
        fallback=FALLBACK,
        classifier=HttpClassifier(clock),
        events=events,
    )
    return ResilientClient(pipeline, target, concurrency=concurrency)


async def test_in_process_success_is_one_attempt(clock):
    """A /get through the in-process upstream succeeds on the first attempt."""
    client = make_client(clock, InProcessTarget(0, clock.wall))
    outcome = await client.request("GET", "/get")
    await client.aclose()
    assert outcome.kind is OutcomeKind.SUCCESS
    assert outcome.value is not None
    assert outcome.value.json()["url"].endswith("/get")


async def test_in_process_500_is_retried_then_falls_back(clock):
    """/status/500 is tried three times, then the fallback answers http_5xx."""
    client = make_client(clock, InProcessTarget(0, clock.wall))
    outcome = await client.request("GET", "/status/500")
    await client.aclose()
    assert outcome.kind is OutcomeKind.FALLBACK
    assert outcome.reason is Reason.HTTP_5XX
    assert len(outcome.attempts) == 3
    assert outcome.value is not None
    assert outcome.value.headers[FALLBACK_HEADER] == "http_5xx"


async def test_in_process_delay_times_out_at_the_attempt_timeout(clock):
    """/delay/3 under a 2 s attempt timeout fails each attempt at 2 s of virtual time."""
    policies = Policies(
        rate_limiter=None,
        breaker=None,
        timeout=TimeoutConfig(attempt=2, total=30),
        retry=RetryConfig(attempts=2, base_delay=0, max_delay=0),
    )
    client = make_client(clock, InProcessTarget(0, clock.wall), policies)
    outcome = await client.request("GET", "/delay/3")
    await client.aclose()
    assert outcome.reason is Reason.TIMEOUT
    assert [attempt.duration for attempt in outcome.attempts] == pytest.approx([2, 2])


async def test_in_process_retry_after_is_honoured(clock):
    """A 429 with Retry-After: 4 makes the next attempt wait at least 4 s."""
    events = EventList()
    policies = Policies(rate_limiter=None, breaker=None, retry=RetryConfig(attempts=2))
    client = make_client(clock, InProcessTarget(0, clock.wall), policies, events=events)
    await client.request("GET", "/retry-after/4")
    await client.aclose()
    scheduled = [event for event in events.events if event.name == "retry.scheduled"]
    assert scheduled[0].delay >= 4
    assert clock.monotonic() >= 4


@respx.mock
async def test_respx_503_then_200_recovers(clock):
    """With respx, a 503 followed by a 200 is RECOVERED after one retry."""
    route = respx.get(f"{URL}/flaky").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"ok": True})]
    )
    client = make_client(clock, RemoteTarget(URL))
    outcome = await client.request("GET", "/flaky")
    await client.aclose()
    assert outcome.kind is OutcomeKind.RECOVERED
    assert route.call_count == 2


@respx.mock
async def test_a_request_goes_out_with_its_method_query_headers_and_body(clock):
    """What a Request says, expanded from the environment, is what reaches the wire."""
    route = respx.post(f"{URL}/anything/orders").mock(return_value=httpx.Response(201))
    request = Request(
        "/anything/orders",
        method="POST",
        query=(("q", "${WORD}"), ("q", "two")),
        headers=(("Authorization", "Bearer ${TOKEN}"),),
        json='{"item": "${WORD}"}',
        ok_status=frozenset({201}),
    ).expanded({"WORD": "book", "TOKEN": "t0k"})
    client = make_client(clock, RemoteTarget(URL))
    outcome = await client.send(request)
    await client.aclose()
    assert outcome.kind is OutcomeKind.SUCCESS
    sent = route.calls.last.request
    assert sent.url.params.get_list("q") == ["book", "two"]
    assert sent.headers["authorization"] == "Bearer t0k"
    assert sent.headers["content-type"] == "application/json"
    assert sent.content == b'{"item": "book"}'


@respx.mock
async def test_respx_connect_errors_fall_back_as_connect_error(clock):
    """A refused connection on every attempt falls back with reason connect_error."""
    respx.get(f"{URL}/get").mock(side_effect=httpx.ConnectError("refused"))
    client = make_client(clock, RemoteTarget(URL))
    outcome = await client.request("GET", "/get")
    await client.aclose()
    assert outcome.reason is Reason.CONNECT_ERROR
    assert len(outcome.attempts) == 3


def refused() -> httpx.ConnectError:
    """A refusal as httpx raises it: the OS error two wrappers down, as anyio chains it."""
    wrapped = OSError("All connection attempts failed")
    wrapped.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    error = httpx.ConnectError(str(wrapped))
    error.__cause__ = wrapped
    return error


class RefusingTarget(RemoteTarget):
    """A URL where every connection is refused, raised as httpx raises it."""

    def transport(self) -> httpx.AsyncBaseTransport:
        def refuse(_request: httpx.Request) -> httpx.Response:
            raise refused()

        return httpx.MockTransport(refuse)


async def test_a_refused_target_is_told_once_in_plain_words(clock):
    """Every attempt of every call refused: one line says so, naming the target."""
    told: list[str] = []
    pipeline = Pipeline.from_policies(
        Policies(rate_limiter=None, breaker=None),
        clock=clock,
        seed=0,
        fallback=FALLBACK,
        classifier=HttpClassifier(clock),
    )
    client = ResilientClient(pipeline, RefusingTarget(URL), on_unreachable=told.append)
    outcomes = [await client.request("GET", "/get") for _ in range(3)]
    await client.aclose()
    assert [o.reason for o in outcomes] == [Reason.CONNECT_ERROR] * 3
    assert [len(o.attempts) for o in outcomes] == [3, 3, 3]
    assert told == [f"connection refused at {URL}: is the server running?"]


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (refused(), "connection refused at http://x: is the server running?"),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "cannot connect to http://x: ConnectError: [Errno -2] Name or service not known",
        ),
    ],
)
def test_connect_errors_are_described_in_plain_words(error, said):
    """A refusal is named as one, however deep httpx wraps it; others keep their text."""
    assert describe_connect_error(error, "http://x") == said


def test_an_unresolvable_host_is_described_as_such():
    """An unknown host name (a gaierror, even inside a group) asks whether the URL is right."""
    group = ExceptionGroup("connect", [socket.gaierror(-2, "Name or service not known")])
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = group
    assert describe_connect_error(error, "http://x") == (
        "cannot resolve the host of http://x: is the URL right?"
    )


@respx.mock
async def test_an_open_breaker_sends_nothing(clock):
    """Once the breaker is open, calls fall back and the route is not hit again."""
    route = respx.get(f"{URL}/status/500").mock(return_value=httpx.Response(500))
    policies = Policies(
        rate_limiter=None,
        retry=RetryConfig(attempts=1),
        breaker=BreakerConfig(failure_threshold=2),
    )
    client = make_client(clock, RemoteTarget(URL), policies)
    outcomes = [await client.request("GET", "/status/500") for _ in range(5)]
    await client.aclose()
    assert route.call_count == 2
    assert [o.reason for o in outcomes[2:]] == [Reason.BREAKER_OPEN] * 3


async def test_clients_are_sharded_by_concurrency(clock):
    """Concurrency 12 uses ceil(12 / 5) = 3 httpx clients of 5 connections each."""
    client = make_client(clock, InProcessTarget(0, clock.wall), concurrency=12)
    assert not client.started
    await client.request("GET", "/get")
    assert client.started
    assert len(client._clients) == 3
    assert CONNECTIONS_PER_CLIENT == 5
    await client.aclose()


async def test_a_target_is_started_only_when_a_call_reaches_http(clock):
    """A call the breaker refuses never starts the target."""
    started = []

    class Spy(RemoteTarget):
        async def start(self) -> str:
            started.append(True)
            return await super().start()

    policies = Policies(rate_limiter=None, breaker=BreakerConfig())
    client = make_client(clock, Spy(URL), policies)
    assert client.pipeline.breaker is not None
    client.pipeline.breaker.force_open()
    outcome = await client.request("GET", "/get")
    await client.aclose()
    assert outcome.reason is Reason.BREAKER_OPEN
    assert started == []


async def test_starting_the_target_is_no_attempts_time(clock):
    """A target that takes 1 s to start leaves the first call's 0.5 s attempt timeout whole."""

    class SlowStart(InProcessTarget):
        async def start(self) -> str:
            await asyncio.sleep(1)  # the embedded server's start, the HTTP stack's imports
            return await super().start()

    policies = Policies(
        rate_limiter=None,
        retry=RetryConfig(attempts=1),
        timeout=TimeoutConfig(attempt=0.5, total=0.5),
    )
    client = make_client(clock, SlowStart(0, clock.wall), policies)
    outcome = await client.request("GET", "/get")
    await client.aclose()
    assert outcome.kind is OutcomeKind.SUCCESS
    assert outcome.duration < 0.5

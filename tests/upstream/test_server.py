import asyncio
import logging
import socket
import struct

import httpx
import pytest
from raw_sockets import close_raw, open_raw, read_to_eof

from resilience_cli.errors import ResilienceError
from resilience_cli.upstream import UpstreamApp, UpstreamServer, serve_forever

# Real sockets: a virtual-time loop could jump past a reply that is merely in flight.
pytestmark = pytest.mark.real_time

GET_HEALTH = b"GET /health HTTP/1.1\r\nHost: upstream\r\n\r\n"


@pytest.fixture
async def server():
    async with UpstreamServer(UpstreamApp(seed=1, max_delay=10.0)) as server:
        yield server


def assert_quiet(caplog):
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def client_addr(response):
    return response.extensions["network_stream"].get_extra_info("client_addr")


class Recorder:
    """An ASGI app wrapper that notes lifespan events and flags when a request is in."""

    def __init__(self, app):
        self.app = app
        self.events = []
        self.entered = asyncio.Event()
        self.cancelled = False

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":

            async def noting_receive():
                message = await receive()
                self.events.append(message["type"])
                return message

            await self.app(scope, noting_receive, send)
            return
        self.entered.set()
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def test_start_binds_an_ephemeral_loopback_port(server):
    """Port 0 binds a free port on 127.0.0.1, and base_url names it."""
    host, port = server.base_url.removeprefix("http://").split(":")
    assert host == "127.0.0.1"
    assert int(port) > 0
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get("/health")).json() == {
            "status": "ok",
            "upstream": "resilience-cli",
        }


async def test_keep_alive_serves_many_requests_on_one_connection(server):
    """One client's sequential requests all travel over the same kept-alive connection."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        responses = [await client.get(f"/get?n={n}") for n in range(5)]
        responses.append(await client.post("/anything", json={"n": 5}))
        assert len({client_addr(r) for r in responses}) == 1
    assert [r.status_code for r in responses] == [200] * 6
    assert responses[2].json()["args"] == {"n": "2"}


async def test_serves_concurrent_requests():
    """Requests on separate connections are in the app at the same time."""
    in_flight = 0
    all_in = asyncio.Event()

    async def barrier_app(scope, _receive, send):
        nonlocal in_flight
        if scope["type"] != "http":
            raise ValueError("no lifespan")
        in_flight += 1
        if in_flight == 8:
            all_in.set()
        await all_in.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async with UpstreamServer(barrier_app) as server, httpx.AsyncClient() as client:
        async with asyncio.timeout(5):  # serialised requests would never pass the barrier
            responses = await asyncio.gather(*(client.get(f"{server.base_url}/") for _ in range(8)))
    assert [r.text for r in responses] == ["ok"] * 8


async def test_post_body_reaches_anything(server):
    """A large POST body arrives whole, over several socket reads, and is echoed."""
    payload = "x" * 300_000
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.post("/anything/upload?k=v", content=payload)
    body = response.json()
    assert response.status_code == 200
    assert body["method"] == "POST"
    assert body["args"] == {"k": "v"}
    assert body["data"] == payload
    assert body["url"] == f"{server.base_url}/anything/upload?k=v"


async def test_head_sends_headers_without_a_body(server):
    """HEAD gets the GET headers, Content-Length included, and no body."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        get = await client.get("/health")
        head = await client.head("/health")
    assert head.status_code == 200
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.content == b""


async def test_pipelined_requests_are_answered_in_order(server, caplog):
    """Two requests sent back to back on one socket get two responses, in order."""
    reader, writer = await open_raw(server)
    try:
        writer.write(
            b"GET /status/201 HTTP/1.1\r\nHost: u\r\n\r\n"
            b"GET /status/202 HTTP/1.1\r\nHost: u\r\nConnection: close\r\n\r\n"
        )
        data = await read_to_eof(reader)
    finally:
        await close_raw(writer)
    assert data.startswith(b"HTTP/1.1 201 Created\r\n")
    assert b"HTTP/1.1 202 Accepted\r\n" in data
    assert_quiet(caplog)


async def test_http_1_0_request_is_answered_then_closed(server, caplog):
    """An HTTP/1.0 request gets its response, then the server closes the connection."""
    reader, writer = await open_raw(server)
    try:
        writer.write(b"GET /health HTTP/1.0\r\n\r\n")
        data = await read_to_eof(reader)
    finally:
        await close_raw(writer)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b'{"status": "ok", "upstream": "resilience-cli"}\n')
    assert_quiet(caplog)


async def test_expect_100_continue_is_honoured(server):
    """A client that waits for 100 Continue gets it when the app reads the body."""
    reader, writer = await open_raw(server)
    try:
        writer.write(
            b"POST /anything HTTP/1.1\r\nHost: u\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        async with asyncio.timeout(5):
            interim = await reader.readuntil(b"\r\n\r\n")
        writer.write(b"hello")
        data = await read_to_eof(reader)
    finally:
        await close_raw(writer)
    assert interim.startswith(b"HTTP/1.1 100 ")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"data": "hello"' in data


async def test_absolute_form_target_is_served(server, caplog):
    """A request target in absolute form (as proxies send it) reaches the right route."""
    reader, writer = await open_raw(server)
    try:
        writer.write(b"GET http://u/get?x=1 HTTP/1.1\r\nHost: u\r\nConnection: close\r\n\r\n")
        data = await read_to_eof(reader)
    finally:
        await close_raw(writer)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"args": {"x": "1"}' in data
    assert_quiet(caplog)


async def test_ignored_request_body_is_drained_and_the_connection_kept(server, caplog):
    """A body the app never reads is skipped, and the connection serves the next request."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        ignored = await client.post("/status/201", content=b"x" * 200_000)
        after = await client.get("/health")
        assert client_addr(ignored) == client_addr(after)
    assert (ignored.status_code, after.status_code) == (201, 200)
    assert_quiet(caplog)


async def test_expect_100_continue_with_an_ignored_body_closes(server, caplog):
    """A client still holding back its body after the response gets the reply, then EOF."""
    reader, writer = await open_raw(server)
    try:
        writer.write(
            b"POST /status/200 HTTP/1.1\r\nHost: u\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        data = await read_to_eof(reader)
    finally:
        await close_raw(writer)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert_quiet(caplog)


async def test_unknown_status_code_has_an_empty_reason(server):
    """A status without a standard phrase is sent with an empty reason, not refused."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.get("/status/599")
    assert response.status_code == 599
    assert response.reason_phrase == ""


async def test_receive_after_the_response_reports_a_disconnect(caplog):
    """Once the response is sent, receive() answers http.disconnect, as ASGI says."""
    received = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            raise ValueError("http only")
        received.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        received.append((await receive())["type"])

    async with UpstreamServer(app) as server, httpx.AsyncClient() as client:
        response = await client.get(f"{server.base_url}/")
    assert response.text == "ok"
    assert received == ["http.request", "http.disconnect"]
    assert_quiet(caplog)


async def _body_before_start(send):
    await send({"type": "http.response.body", "body": b"x"})


async def _start_twice(send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def _status_as_text(send):
    await send({"type": "http.response.start", "status": "200", "headers": []})


async def _headers_as_dict(send):
    await send({"type": "http.response.start", "status": 200, "headers": {"a": "b"}})


async def _body_as_text(send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": "text"})


async def _unknown_message(send):
    await send({"type": "http.response.trailers", "headers": []})


async def _no_response(send):
    del send


async def _own_os_error(send):
    del send
    raise FileNotFoundError("the app's own I/O failed")  # not a vanished client


@pytest.mark.parametrize(
    "misuse",
    [
        _body_before_start,
        _start_twice,
        _status_as_text,
        _headers_as_dict,
        _body_as_text,
        _unknown_message,
        _no_response,
        _own_os_error,
    ],
)
async def test_asgi_misuse_becomes_a_logged_500(misuse, caplog):
    """An app that breaks the ASGI message rules gets a 500 and one logged error."""

    async def app(scope, _receive, send):
        if scope["type"] != "http":
            raise ValueError("http only")
        await misuse(send)

    async with UpstreamServer(app) as server, httpx.AsyncClient() as client:
        response = await client.get(f"{server.base_url}/")
    assert response.status_code == 500
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


async def test_wrong_content_length_drops_the_connection_with_a_warning(caplog):
    """A body shorter than the app's own Content-Length cannot be sent: the socket closes."""

    async def app(scope, _receive, send):
        if scope["type"] != "http":
            raise ValueError("http only")
        headers = [(b"content-length", b"10")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"abc"})

    async with UpstreamServer(app) as server, httpx.AsyncClient() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"{server.base_url}/")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "invalid response" in warnings[0]


async def test_stop_closes_idle_keep_alive_connections(caplog):
    """stop() closes a kept-alive idle connection at once: the client reads EOF."""
    server = UpstreamServer(UpstreamApp())
    await server.start()
    reader, writer = await open_raw(server)
    try:
        writer.write(GET_HEALTH)
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
        loop = asyncio.get_running_loop()
        started = loop.time()
        await server.stop()
        stopped_in = loop.time() - started
        rest = await read_to_eof(reader)
    finally:
        await close_raw(writer)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert (
        rest == b'{"status": "ok", "upstream": "resilience-cli"}\n'
    )  # the body, then EOF: nothing hangs open
    assert stopped_in < 1.0  # a sanity bound; the speed budget lives in the benchmarks
    assert_quiet(caplog)


async def test_stop_twice_and_stop_before_start_are_harmless():
    """stop() on a server never started, or stopped already, does nothing."""
    server = UpstreamServer(UpstreamApp())
    await server.stop()
    await server.start()
    await server.stop()
    await server.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url


async def test_listener_is_gone_after_stop():
    """After stop(), nothing listens on the port any more."""
    async with UpstreamServer(UpstreamApp()) as server:
        url = server.base_url
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/health")


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
        b"NOT A REQUEST\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: u\r\nContent-Length: nope\r\n\r\n",
        b"GET /health HTTP/1.1\r\nbad header line\r\n\r\n",
        b"POST /anything HTTP/1.1\r\nHost: u\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
async def test_malformed_request_gets_400_and_the_server_lives_on(server, garbage, caplog, capsys):
    """Garbage bytes get a 400 and a closed connection; nothing leaks out of the server."""
    reader, writer = await open_raw(server)
    try:
        writer.write(garbage)
        data = await read_to_eof(reader)
    finally:
        await close_raw(writer)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n"), data
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get("/health")).status_code == 200
    assert_quiet(caplog)
    assert capsys.readouterr().err == ""


async def test_client_that_vanishes_mid_request_harms_nothing(server, caplog, capsys):
    """A client closing during its request, or mid-headers, costs only its connection."""
    for raw in (b"GET /delay/0.05 HTTP/1.1\r\nHost: u\r\n\r\n", b"GET /get HTTP/1.1\r\nHo"):
        _, writer = await open_raw(server)
        writer.write(raw)
        await writer.drain()
        await close_raw(writer)
    async with asyncio.timeout(5):  # the delayed reply meets the closed socket, and ends
        while server.open_connections:  # noqa: ASYNC110 - a counter has no event; bounded
            await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get("/health")).status_code == 200
    assert_quiet(caplog)
    assert capsys.readouterr().err == ""


async def test_send_to_a_vanished_client_raises_an_os_error(caplog, capsys):
    """Once the client resets the connection, the app's send raises a ConnectionError."""
    seen = []
    failed = asyncio.Event()

    async def streaming_app(scope, _receive, send):
        if scope["type"] != "http":
            raise ValueError("http only")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            for _ in range(500):
                await send({"type": "http.response.body", "body": b"tick", "more_body": True})
                await asyncio.sleep(0.01)
        except OSError as exc:
            seen.append(exc)
            failed.set()
            raise

    async with UpstreamServer(streaming_app) as server:
        reader, writer = await open_raw(server)
        writer.write(GET_HEALTH)
        async with asyncio.timeout(5):
            await reader.readuntil(b"tick")
        # Linger 0: close with a reset, so the server's next write fails at once.
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        await close_raw(writer)
        async with asyncio.timeout(5):
            await failed.wait()
    assert isinstance(seen[0], ConnectionError)
    assert_quiet(caplog)
    assert capsys.readouterr().err == ""


async def test_stop_cuts_a_running_delay_without_a_traceback(caplog, capsys):
    """A request sleeping in /delay is cancelled by stop(); the client sees a disconnect."""
    recorder = Recorder(UpstreamApp())
    server = UpstreamServer(recorder)
    await server.start()
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        call = asyncio.create_task(client.get("/delay/10"))
        async with asyncio.timeout(5):
            await recorder.entered.wait()
        await server.stop()
        with pytest.raises(httpx.RemoteProtocolError):
            async with asyncio.timeout(5):
                await call
    assert recorder.cancelled
    assert_quiet(caplog)
    assert capsys.readouterr().err == ""


async def test_lifespan_runs_at_start_and_stop():
    """start() sends lifespan startup before binding; stop() sends shutdown."""
    recorder = Recorder(UpstreamApp())
    server = UpstreamServer(recorder)
    await server.start()
    assert recorder.events == ["lifespan.startup"]
    await server.stop()
    assert recorder.events == ["lifespan.startup", "lifespan.shutdown"]


async def test_app_without_lifespan_is_still_served():
    """An app that raises on the lifespan scope is served anyway, as ASGI allows."""

    async def plain_app(scope, _receive, send):
        if scope["type"] != "http":
            raise ValueError("http only")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"plain"})

    async with UpstreamServer(plain_app) as server, httpx.AsyncClient() as client:
        response = await client.get(f"{server.base_url}/")
    assert response.text == "plain"
    assert response.headers["content-length"] == "5"


async def test_failed_startup_raises_and_binds_nothing():
    """An app reporting lifespan.startup.failed makes start() raise with its message."""

    async def failing_app(_scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    server = UpstreamServer(failing_app)
    with pytest.raises(ResilienceError, match="no database"):
        await server.start()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url


async def test_app_error_becomes_a_500_and_is_logged(caplog):
    """An app that raises gets a 500 for its client and a logged traceback."""

    async def broken_app(scope, _receive, _send):
        if scope["type"] != "http":
            raise ValueError("http only")
        raise ZeroDivisionError

    async with UpstreamServer(broken_app) as server, httpx.AsyncClient() as client:
        response = await client.get(f"{server.base_url}/boom")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info[0] is ZeroDivisionError


async def test_streamed_body_is_sent_chunked():
    """A body sent in parts with more_body and no length goes out chunked, whole."""

    async def streaming_app(scope, _receive, send):
        if scope["type"] != "http":
            raise ValueError("http only")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async with UpstreamServer(streaming_app) as server, httpx.AsyncClient() as client:
        response = await client.get(f"{server.base_url}/")
        again = await client.get(f"{server.base_url}/")
    assert response.text == "one,two,three"
    assert response.headers["transfer-encoding"] == "chunked"
    assert again.text == "one,two,three"


async def test_serve_forever_reports_its_url_and_stops_when_cancelled():
    """serve_forever calls `ready` with the URL, serves, and stops cleanly on cancel."""
    urls = asyncio.Queue()
    task = asyncio.create_task(serve_forever(UpstreamApp(), ready=urls.put_nowait))
    async with asyncio.timeout(5):
        url = await urls.get()
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/health")).status_code == 200
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/health")

"""The server's limits: idle and head timeouts, the connection cap, the body size, the stop."""

import asyncio
import contextlib
import errno
import logging
import socket

import httpx
import pytest
from raw_sockets import address, close_raw, open_raw, read_to_eof

from resilience_cli.errors import ConfigError
from resilience_cli.upstream import ServerLimits, UpstreamApp, UpstreamServer, serve_forever

# Real sockets: a virtual-time loop could jump past a reply that is merely in flight.
pytestmark = pytest.mark.real_time

GET_HEALTH = b"GET /health HTTP/1.1\r\nHost: upstream\r\n\r\n"
FLOOD = 16 * 1024 * 1024  # far more than loopback's socket buffers take from a non-reader


async def until(condition):
    """Wait, at most 5 s, for `condition()` to hold (the server's own counters)."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - a counter has no event; the wait is bounded
            await asyncio.sleep(0.01)


async def open_non_reader(host, port):
    """A client with a tiny receive buffer that never reads: its responses back up."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)  # noqa: FBT003 - the socket API's own flag
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, port))
    await loop.sock_sendall(sock, GET_HEALTH)
    return sock


def flooding_app(started):
    """An app whose one response is far bigger than a non-reading client will take."""

    async def app(scope, _receive, send):
        if scope["type"] != "http":
            raise ValueError("http only")
        started.set()
        # Runs on, in the same step, into the blocked write: when `started` wakes a
        # waiter, the server is already stuck on the client.
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x" * FLOOD})

    return app


def assert_quiet(caplog):
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


class Recorder:
    """An ASGI app wrapper that flags whether any request reached the app."""

    def __init__(self, app):
        self.app = app
        self.entered = False

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.entered = True
        await self.app(scope, receive, send)


async def test_an_idle_connection_is_closed_after_the_idle_timeout(caplog):
    """A client that connects and sends nothing is closed quietly, with no reply."""
    limits = ServerLimits(idle_timeout=0.2)
    async with UpstreamServer(UpstreamApp(), limits=limits) as server:
        reader, writer = await open_raw(server)
        try:
            assert await read_to_eof(reader) == b""
        finally:
            await close_raw(writer)
    assert_quiet(caplog)


async def test_a_kept_alive_connection_idle_past_the_timeout_closes_after_its_reply():
    """After a response, an idle keep-alive connection ends with EOF and nothing more."""
    limits = ServerLimits(idle_timeout=0.2)
    async with UpstreamServer(UpstreamApp(), limits=limits) as server:
        reader, writer = await open_raw(server)
        try:
            writer.write(GET_HEALTH)
            async with asyncio.timeout(5):
                head = await reader.readuntil(b"\r\n\r\n")
            rest = await read_to_eof(reader)
        finally:
            await close_raw(writer)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert rest == b'{"status": "ok", "upstream": "resilience-cli"}\n'


async def test_a_request_head_sent_byte_by_byte_gets_408_at_the_deadline():
    """Slowloris: a head still trickling in when the idle timeout runs out gets a 408."""
    limits = ServerLimits(idle_timeout=0.3)
    async with UpstreamServer(UpstreamApp(), limits=limits) as server:
        reader, writer = await open_raw(server)

        async def trickle():
            # A byte every 20 ms: a timeout per read would never fire; the head has one.
            with contextlib.suppress(ConnectionError):
                for byte in b"GET /health HTTP/1.1\r\nHost: u\r\nX-Pad: " + b"a" * 500:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.02)

        trickling = asyncio.create_task(trickle())
        try:
            data = await read_to_eof(reader)
        finally:
            trickling.cancel()
            await asyncio.gather(trickling, return_exceptions=True)
            await close_raw(writer)
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert data.endswith(b"request timeout\n")


async def test_a_body_that_stalls_gets_408():
    """A body that stops arriving for the idle timeout gets a 408, and the connection ends."""
    limits = ServerLimits(idle_timeout=0.2)
    async with UpstreamServer(UpstreamApp(), limits=limits) as server:
        reader, writer = await open_raw(server)
        try:
            writer.write(b"POST /anything HTTP/1.1\r\nHost: u\r\nContent-Length: 10\r\n\r\nabc")
            data = await read_to_eof(reader)
        finally:
            await close_raw(writer)
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


async def test_a_client_that_stops_reading_is_cut_after_the_idle_timeout():
    """A response the client does not read for the idle timeout ends its connection."""
    started = asyncio.Event()
    limits = ServerLimits(idle_timeout=0.2)
    async with UpstreamServer(flooding_app(started), limits=limits) as server:
        sock = await open_non_reader(*address(server))
        try:
            async with asyncio.timeout(5):
                await started.wait()
            await until(lambda: server.open_connections == 0)
        finally:
            sock.close()


async def test_stop_does_not_wait_on_a_client_that_stopped_reading(caplog):
    """stop() (Ctrl-C on `upstream serve`) cuts a client that stopped reading, at once."""
    started = asyncio.Event()
    server = UpstreamServer(flooding_app(started))  # the default 10 s idle timeout
    await server.start()
    sock = await open_non_reader(*address(server))
    try:
        async with asyncio.timeout(5):
            await started.wait()
        async with asyncio.timeout(5):  # it used to wait for the client forever
            await server.stop()
    finally:
        sock.close()
    assert server.open_connections == 0
    assert_quiet(caplog)


async def test_ctrl_c_on_serve_forever_ends_despite_a_client_that_stopped_reading():
    """Cancelling serve_forever (Ctrl-C on `upstream serve`) ends it, a stuck client or not."""
    started = asyncio.Event()
    urls: asyncio.Queue[str] = asyncio.Queue()
    serving = asyncio.create_task(serve_forever(flooding_app(started), ready=urls.put_nowait))
    async with asyncio.timeout(5):
        url = await urls.get()
    host, port = url.removeprefix("http://").split(":")
    sock = await open_non_reader(host, int(port))
    try:
        async with asyncio.timeout(5):
            await started.wait()
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(5):
                await serving
    finally:
        sock.close()


async def test_a_body_announced_over_the_limit_gets_413_before_the_app_runs():
    """Content-Length past max_body: 413 naming the limit, the app never runs, the server lives."""
    recorder = Recorder(UpstreamApp())
    limits = ServerLimits(max_body=1000)
    async with (
        UpstreamServer(recorder, limits=limits) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as client,
    ):
        too_big = await client.post("/anything", content=b"x" * 4_000_000)
        fits = await client.post("/anything", content=b"x" * 1000)
    assert too_big.status_code == 413
    assert too_big.text == "request body too large: the limit is 1000 bytes\n"
    assert fits.status_code == 200
    assert fits.json()["data"] == "x" * 1000


async def test_a_chunked_body_past_the_limit_gets_413():
    """A body without a length is cut at max_body: 413, however much more is coming."""
    limits = ServerLimits(max_body=1000)

    async def parts():
        for _ in range(5):
            yield b"x" * 600

    async with (
        UpstreamServer(UpstreamApp(), limits=limits) as server,
        httpx.AsyncClient(base_url=server.base_url) as client,
    ):
        response = await client.post("/anything", content=parts())
        after = await client.get("/health")
    assert response.status_code == 413
    assert after.status_code == 200


async def test_an_ignored_chunked_body_past_the_limit_closes_the_connection():
    """An answer before a chunked body ends says Connection: close; the body is dropped."""
    limits = ServerLimits(max_body=1000)

    async def parts():
        for _ in range(5):
            yield b"x" * 600

    async with (
        UpstreamServer(UpstreamApp(), limits=limits) as server,
        httpx.AsyncClient(base_url=server.base_url) as client,
    ):
        ignored = await client.post("/status/201", content=parts())
        after = await client.get("/health")
    assert (ignored.status_code, after.status_code) == (201, 200)
    assert ignored.headers["connection"] == "close"


async def test_connections_past_the_cap_get_503_until_one_closes():
    """At max_connections, a newcomer gets 503 with Retry-After: 1; once one leaves, a 200."""
    limits = ServerLimits(max_connections=2)
    async with UpstreamServer(UpstreamApp(), limits=limits) as server:
        held = [await open_raw(server) for _ in range(2)]
        try:
            await until(lambda: server.open_connections == 2)
            async with httpx.AsyncClient(base_url=server.base_url) as client:
                refused = await client.get("/health")
                await close_raw(held.pop()[1])
                await until(lambda: server.open_connections == 1)
                served = await client.get("/health")
        finally:
            for _, writer in held:
                await close_raw(writer)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["connection"] == "close"
    assert served.status_code == 200


async def test_refused_connections_that_send_nothing_are_closed(caplog):
    """Past the cap, a silent connection is closed within a second; a flood, at once."""
    limits = ServerLimits(max_connections=1)
    async with UpstreamServer(UpstreamApp(), limits=limits) as server:
        held = await open_raw(server)
        await until(lambda: server.open_connections == 1)
        extra = [await open_raw(server) for _ in range(3)]
        try:
            ends = [await read_to_eof(reader) for reader, _ in extra]
        finally:
            for _, writer in [held, *extra]:
                await close_raw(writer)
    assert ends == [b"", b"", b""]
    assert_quiet(caplog)


@pytest.mark.parametrize(
    ("failures", "said"),
    [
        ([errno.EMFILE, errno.EMFILE, errno.ENFILE], "out of file descriptors"),
        ([errno.EPERM], "cannot accept connections for a moment"),
        ([errno.ECONNABORTED], None),  # a client that gave up in the queue: nothing to say
    ],
)
async def test_accept_failures_pause_and_say_so_once(failures, said, caplog):
    """Failed accepts pause the accept loop, log one line per episode, and serving resumes."""
    loop = asyncio.get_running_loop()
    real_accept = loop.sock_accept
    pending = [OSError(code, "simulated") for code in failures]

    async def failing_accept(sock):
        if pending:
            raise pending.pop(0)
        return await real_accept(sock)

    loop.sock_accept = failing_accept  # the seam the real thing goes through (see test_descriptors)
    try:
        async with (
            UpstreamServer(UpstreamApp()) as server,
            httpx.AsyncClient(base_url=server.base_url) as client,
        ):
            response = await client.get("/health")
    finally:
        del loop.sock_accept
    assert response.status_code == 200
    assert pending == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if said is None:
        assert warnings == []
    else:
        assert len(warnings) == 1  # one line for the whole episode
        assert said in warnings[0]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("max_connections", {"max_connections": 0}),
        ("idle_timeout", {"idle_timeout": 0.0}),
        ("idle_timeout", {"idle_timeout": float("nan")}),
        ("max_body", {"max_body": -1}),
    ],
)
def test_nonsense_limits_are_refused_naming_the_field(field, values):
    """A limit out of range is a ConfigError naming it."""
    with pytest.raises(ConfigError, match=rf"upstream\.{field}"):
        ServerLimits(**values)

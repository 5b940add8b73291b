"""A small HTTP/1.1 server for any ASGI app, on loopback, inside the caller's event loop.

Why not uvicorn or aiohttp: commands and tests start and stop an embedded upstream per
run, and the measurements (shared reference, section 6) show uvicorn taking 200 ms to
stop and aiohttp 150 ms to import. A raw `asyncio` server with `h11` (already installed
with httpx) starts in well under a millisecond and stops in a few.

What it does: it binds, accepts in a loop of its own, and hands each connection to a
`Connection` (see `connection.py` for HTTP). `ServerLimits` bound what a client may
cost: the connections served at once, the time to send a request or read a reply, and
the size of a body. `stop()` closes the listener, cuts every open connection at once (a
request in flight is cut, with no traceback; a client that stopped reading cannot hold
it), then runs the lifespan shutdown.

Why its own accept loop rather than `asyncio.start_server`: out of file descriptors,
asyncio's loop (3.11) logs a traceback for each of up to 100 failed accepts per turn, and
schedules as many retries: thousands of tracebacks a minute, and the server stops
answering. Here the loop pauses (50 ms, doubling to 1 s), logs one line per episode, and
serves again as soon as descriptors are free.

Limits, on purpose: no TLS, no HTTP/2, no WebSocket, and a client that disconnects in the
middle of a response is only noticed when the server writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from typing import TYPE_CHECKING, Final, Self

from resilience_cli.upstream.connection import Connection
from resilience_cli.upstream.lifespan import Lifespan
from resilience_cli.upstream.limits import ServerLimits

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from resilience_cli.upstream.app import ASGIApp

__all__ = ["UpstreamServer", "serve_forever"]

_log = logging.getLogger(__name__)

_BACKLOG: Final = 100  # asyncio's default
_OUT_OF_DESCRIPTORS: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_PAUSE_FIRST: Final = 0.05
_PAUSE_MAX: Final = 1.0
_QUIET_BEFORE_WARNING_AGAIN: Final = 60.0  # seconds without EMFILE that end an episode
_STOP_GRACE: Final = 1.0  # for an app that ignores cancellation; ours never does


class UpstreamServer:
    """Serve an ASGI app over HTTP/1.1 on `host` (loopback by default); port 0 is ephemeral.

    Use it as an async context manager, or call `start()` and `stop()`.

    Args:
        app: Any ASGI 3 application.
        host: The address to bind (a name binds every address it resolves to).
        port: The port to bind; 0 picks a free one (see `base_url`).
        limits: What one client may cost; `ServerLimits()` by default.
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limits: ServerLimits | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._limits = ServerLimits() if limits is None else limits
        self._listeners: list[socket.socket] = []
        self._acceptors: list[asyncio.Task[None]] = []
        self._serving: set[asyncio.Task[None]] = set()
        self._refusing: set[asyncio.Task[None]] = set()
        self._lifespan: Lifespan | None = None
        self._state: dict[str, object] = {}
        self._short_of_descriptors_at: float | None = None

    @property
    def base_url(self) -> str:
        """`http://host:port` of the bound listener; only valid after `start()`."""
        if not self._listeners:
            raise RuntimeError("the upstream server is not started")
        host, port = self._listeners[0].getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def open_connections(self) -> int:
        """Connections open right now, those being refused at the cap included."""
        return len(self._serving) + len(self._refusing)

    async def start(self) -> None:
        """Run the app's lifespan startup, then bind and listen.

        Raises:
            ResilienceError: The app reported a failed startup.
            OSError: The address cannot be bound.
        """
        if self._listeners:
            raise RuntimeError("the upstream server is already started")
        import h11  # noqa: F401, PLC0415 - load the parser now, not while a client waits

        self._lifespan = Lifespan(self._app, self._state)
        await self._lifespan.startup()
        try:
            self._listeners = await _listen(self._host, self._port)
        except BaseException:
            await self._lifespan.shutdown()
            raise
        loop = asyncio.get_running_loop()
        self._acceptors = [loop.create_task(self._accept(sock)) for sock in self._listeners]

    async def stop(self) -> None:
        """Stop listening, cut every open connection, then run the lifespan shutdown.

        Safe to call twice, and on a server that never started. It never waits on a
        client: a connection is cut, not drained.
        """
        listeners, self._listeners = self._listeners, []
        acceptors, self._acceptors = self._acceptors, []
        for task in acceptors:
            task.cancel()
        # Let the accept loops let go of their sockets before the sockets close.
        await asyncio.gather(*acceptors, return_exceptions=True)
        for sock in listeners:
            sock.close()
        connections = [*self._serving, *self._refusing]
        for task in connections:
            task.cancel()
        if connections:
            _, stuck = await asyncio.wait(connections, timeout=_STOP_GRACE)
            if stuck:
                _log.warning("%d upstream connections ignored the stop", len(stuck))
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is not None:
            await lifespan.shutdown()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _accept(self, listener: socket.socket) -> None:
        """Accept connections until cancelled, pausing while file descriptors run out."""
        loop = asyncio.get_running_loop()
        pause = _PAUSE_FIRST
        while True:
            try:
                sock, _ = await loop.sock_accept(listener)
            except OSError as exc:
                if exc.errno == errno.ECONNABORTED:
                    continue  # the client gave up while queued
                self._short_of_descriptors(exc, loop.time())
                await asyncio.sleep(pause)
                pause = min(pause * 2, _PAUSE_MAX)
                continue
            pause = _PAUSE_FIRST
            self._admit(sock)

    def _short_of_descriptors(self, exc: OSError, now: float) -> None:
        """One warning per episode: a run of failed accepts with less than a minute between."""
        last, self._short_of_descriptors_at = self._short_of_descriptors_at, now
        if last is not None and now - last < _QUIET_BEFORE_WARNING_AGAIN:
            return
        if exc.errno in _OUT_OF_DESCRIPTORS:
            _log.warning(
                "the upstream is out of file descriptors (%s): it stops accepting for a"
                " moment and serves again once connections close; raise `ulimit -n`,"
                " or lower --max-connections",
                exc.strerror,
            )
        else:
            _log.warning("the upstream cannot accept connections for a moment: %s", exc)

    def _admit(self, sock: socket.socket) -> None:
        cap = self._limits.max_connections
        refuse = cap is not None and len(self._serving) >= cap
        if refuse and len(self._refusing) >= (cap or 0):
            sock.close()  # a flood: closing costs less than a 503
            return
        group = self._refusing if refuse else self._serving
        task = asyncio.get_running_loop().create_task(self._serve(sock, refuse=refuse))
        group.add(task)
        task.add_done_callback(group.discard)

    async def _serve(self, sock: socket.socket, *, refuse: bool) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2**16)
        protocol = asyncio.StreamReaderProtocol(reader)
        try:
            transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock)
        except OSError:
            sock.close()  # gone before it was served
            return
        except BaseException:
            sock.close()
            raise
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        await Connection(self._app, reader, writer, self._state, self._limits, refuse=refuse).run()


async def serve_forever(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    ready: Callable[[str], None] | None = None,
    *,
    limits: ServerLimits | None = None,
) -> None:
    """Serve `app` until cancelled (Ctrl-C under `asyncio.run`), then stop cleanly.

    Args:
        app: Any ASGI 3 application.
        host: The address to bind.
        port: The port to bind; 0 picks a free one.
        ready: Called with the base URL once the server listens.
        limits: What one client may cost; `ServerLimits()` by default.

    Raises:
        asyncio.CancelledError: Always in the end: the cancellation that stopped the
            server is passed on, as asyncio expects.
    """
    async with UpstreamServer(app, host, port, limits=limits) as server:
        if ready is not None:
            ready(server.base_url)
        await asyncio.get_running_loop().create_future()


async def _listen(host: str, port: int) -> list[socket.socket]:
    """Listening, non-blocking sockets on every address `host` names, as asyncio binds them."""
    name = host or None  # "" means every interface, as for asyncio
    try:  # an address needs no resolver thread
        infos = socket.getaddrinfo(
            name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST
        )
    except socket.gaierror:
        infos = await asyncio.get_running_loop().getaddrinfo(
            name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    listeners: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            listeners.append(sock)
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # One socket per family, as asyncio does, so the v4 one can bind too.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                reason = (exc.strerror or str(exc)).lower()
                raise OSError(
                    exc.errno, f"error while attempting to bind on address {address!r}: {reason}"
                ) from None
            sock.listen(_BACKLOG)
            sock.setblocking(False)  # noqa: FBT003 - the socket API's own flag
    except BaseException:
        for sock in listeners:
            with contextlib.suppress(OSError):
                sock.close()
        raise
    return listeners

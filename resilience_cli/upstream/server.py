"""A small HTTP/1.1 server for any ASGI app, on loopback, inside the caller's event loop.

Why not uvicorn or aiohttp: commands and tests start and stop an embedded upstream per
run, and the measurements (shared reference, section 6) show uvicorn taking 200 ms to
stop and aiohttp 150 ms to import. A raw `asyncio` server with `h11` (already installed
with httpx) starts in well under a millisecond and stops in a few.

What it does: keep-alive, one request at a time per connection, the app run inline in
the connection's task. A response whose body arrives in one `http.response.body`
message gets a `Content-Length`; a streamed one (`more_body`) is sent chunked, unless
the app set its own length. A malformed request gets a 400 and the connection is closed;
a client that vanishes just closes its connection. `stop()` closes the listener,
cancels every connection (a request in flight is cut, with no traceback), then runs the
lifespan shutdown.

Limits, on purpose: no TLS, no HTTP/2, no WebSocket, no idle timeout, and a client
that disconnects in the middle of a response is only noticed when the server writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Final, Self
from urllib.parse import unquote, urlsplit

from resilience_cli.errors import ResilienceError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    import h11

    from resilience_cli.upstream.app import ASGIApp, Message

__all__ = ["UpstreamServer", "serve_forever"]

_log = logging.getLogger(__name__)

_READ_SIZE: Final = 65_536
_ASGI: Final = {"version": "3.0", "spec_version": "2.3"}
_NO_BODY_STATUSES: Final = frozenset({204, 304})


class _ClientGoneError(ConnectionError):
    """`send` on a connection the client closed (ASGI asks for an OSError subclass)."""


class UpstreamServer:
    """Serve an ASGI app over HTTP/1.1 on `host` (loopback by default); port 0 is ephemeral.

    Use it as an async context manager, or call `start()` and `stop()`.

    Args:
        app: Any ASGI 3 application.
        host: The one address to bind.
        port: The port to bind; 0 picks a free one (see `base_url`).
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._lifespan: _Lifespan | None = None
        self._state: dict[str, object] = {}
        self._stopping = False

    @property
    def base_url(self) -> str:
        """`http://host:port` of the bound listener; only valid after `start()`."""
        if self._server is None:
            raise RuntimeError("the upstream server is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self) -> None:
        """Run the app's lifespan startup, then bind and listen.

        Raises:
            ResilienceError: The app reported a failed startup.
            OSError: The address cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("the upstream server is already started")
        import h11  # noqa: F401, PLC0415 - load the parser now, not while a client waits

        self._stopping = False
        self._lifespan = _Lifespan(self._app, self._state)
        await self._lifespan.startup()
        try:
            self._server = await asyncio.start_server(self._accept, self._host, self._port)
        except BaseException:
            await self._lifespan.shutdown()
            raise

    async def stop(self) -> None:
        """Stop listening, cut every open connection, then run the lifespan shutdown.

        Safe to call twice, and on a server that never started.
        """
        server, self._server = self._server, None
        self._stopping = True
        if server is not None:
            server.close()
            connections = list(self._connections)
            for task in connections:
                task.cancel()
            if connections:
                await asyncio.wait(connections)
            await server.wait_closed()
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

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, not a coroutine: the connection task is ours, so stop() can
        # cancel it without tripping asyncio's own done-callback, which on 3.11 logs a
        # traceback for a cancelled client_connected_cb task.
        if self._stopping:
            writer.close()  # accepted just before the listener closed
            return
        connection = _Connection(self._app, reader, writer, self._state)
        task = asyncio.get_running_loop().create_task(connection.run())
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)


async def serve_forever(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `app` until cancelled (Ctrl-C under `asyncio.run`), then stop cleanly.

    Args:
        app: Any ASGI 3 application.
        host: The one address to bind.
        port: The port to bind; 0 picks a free one.
        ready: Called with the base URL once the server listens.

    Raises:
        asyncio.CancelledError: Always in the end: the cancellation that stopped the
            server is passed on, as asyncio expects.
    """
    async with UpstreamServer(app, host, port) as server:
        if ready is not None:
            ready(server.base_url)
        await asyncio.get_running_loop().create_future()


class _Lifespan:
    """The ASGI lifespan protocol, run in a task of its own for the server's lifetime."""

    def __init__(self, app: ASGIApp, state: dict[str, object]) -> None:
        self._app = app
        self._state = state
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._started: asyncio.Future[str | None] = loop.create_future()
        self._stopped: asyncio.Future[str | None] = loop.create_future()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._inbox.put_nowait({"type": "lifespan.startup"})
        failure = await self._started
        if failure is not None:
            await self._task
            raise ResilienceError(f"the upstream app failed to start: {failure}")

    async def shutdown(self) -> None:
        if self._task is None or self._task.done():
            return
        self._inbox.put_nowait({"type": "lifespan.shutdown"})
        failure = await self._stopped
        await self._task
        if failure is not None:
            _log.warning("the upstream app failed to shut down: %s", failure)

    async def _run(self) -> None:
        scope: Message = {"type": "lifespan", "asgi": dict(_ASGI), "state": self._state}
        try:
            await self._app(scope, self._inbox.get, self._send)
        except Exception as exc:  # noqa: BLE001 - the ASGI rule: the app may not do lifespan
            if not self._started.done():
                _log.debug("the ASGI app does not support lifespan: %r", exc)
            else:
                _log.exception("the upstream app's lifespan raised")
        finally:
            # An app that returns early, or without answering, must not leave us waiting.
            for future in (self._started, self._stopped):
                if not future.done():
                    future.set_result(None)

    async def _send(self, message: Message) -> None:
        kind = message.get("type")
        text = str(message.get("message", ""))
        if kind == "lifespan.startup.complete":
            self._started.set_result(None)
        elif kind == "lifespan.startup.failed":
            self._started.set_result(text or "startup failed")
        elif kind == "lifespan.shutdown.complete":
            self._stopped.set_result(None)
        elif kind == "lifespan.shutdown.failed":
            self._stopped.set_result(text or "shutdown failed")


class _Connection:
    """One client connection: parse with h11, run the app per request, write the replies."""

    __slots__ = (
        "_app",
        "_body_done",
        "_body_error",
        "_client",
        "_complete",
        "_conn",
        "_gone",
        "_h11",
        "_head_only",
        "_headers",
        "_held_back",
        "_reader",
        "_replied",
        "_response_done",
        "_server",
        "_state",
        "_status",
        "_writer",
    )

    def __init__(
        self,
        app: ASGIApp,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        state: dict[str, object],
    ) -> None:
        import h11  # noqa: PLC0415 - only a served upstream pays for the HTTP parser

        self._h11 = h11
        self._app = app
        self._reader = reader
        self._writer = writer
        self._state = state
        self._conn = h11.Connection(h11.SERVER)
        self._client = _address(writer.get_extra_info("peername"))
        self._server = _address(writer.get_extra_info("sockname"))
        # Per request:
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_only = False
        self._body_done = False
        self._body_error: h11.RemoteProtocolError | None = None
        self._gone = False  # reading or writing failed: the client has left
        self._replied = False  # the status line and headers are written
        self._complete = False  # the whole response is written
        self._held_back = False  # the client still awaited 100 Continue when we answered
        self._response_done: asyncio.Future[None] | None = None

    async def run(self) -> None:
        """Serve requests until the client closes, an error, or cancellation."""
        h11 = self._h11
        try:
            while True:
                event = await self._next_event()
                if not isinstance(event, h11.Request):
                    break  # ConnectionClosed
                if not await self._serve(event):
                    break
                if not await self._finish_cycle():
                    break
        except h11.RemoteProtocolError as exc:
            self._reject(exc)
        except h11.LocalProtocolError as exc:
            _log.warning("the upstream app sent an invalid response: %s", exc)
        except OSError:
            pass  # the client went away; nothing to tell it
        except Exception:  # noqa: BLE001 - a bug here must cost one connection, not the server
            _log.exception("an upstream connection failed")
        finally:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()

    async def _next_event(self) -> h11.Event | type[h11.NEED_DATA | h11.PAUSED]:
        conn = self._conn
        while True:
            event = conn.next_event()
            if event is not self._h11.NEED_DATA:
                return event
            conn.receive_data(await self._reader.read(_READ_SIZE))

    async def _serve(self, request: h11.Request) -> bool:
        """Run the app for one request; whether the connection may serve another."""
        self._status = 0
        self._headers = []
        self._head_only = request.method == b"HEAD"
        self._body_done = False
        self._body_error = None
        self._gone = False
        self._replied = False
        self._complete = False
        self._held_back = False
        self._response_done = asyncio.get_running_loop().create_future()
        try:
            await self._app(self._scope(request), self._receive, self._send)
        except _ClientGoneError:
            return False
        except self._h11.LocalProtocolError:
            raise
        except Exception:  # noqa: BLE001 - any app bug becomes a 500, as ASGI servers do
            _log.exception("the upstream app failed on %s", request.target.decode("ascii"))
            return self._fail()
        finally:
            if not self._response_done.done():
                self._response_done.set_result(None)
        if not self._complete:
            if self._gone:  # the app gave up on a client that left
                return False
            if self._body_error is not None:  # the app gave up on a malformed body
                self._reject(self._body_error)
                return False
            _log.error("the upstream app returned without completing its response")
            return self._fail()
        return True

    def _fail(self) -> bool:
        """Answer 500 when nothing was sent yet; the connection is closed either way."""
        if not self._replied:
            self._write_simple(500, b"internal server error\n")
        return False

    async def _finish_cycle(self) -> bool:
        """Read the rest of a body the app ignored, then get ready for the next request."""
        h11 = self._h11
        conn = self._conn
        if self._held_back:
            return False  # the client never sent its body; closing is the clean answer
        while conn.their_state is h11.SEND_BODY:
            event = await self._next_event()
            if isinstance(event, h11.ConnectionClosed):
                return False
        if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            return False  # Connection: close, HTTP/1.0, or an abandoned request
        conn.start_next_cycle()
        return True

    def _scope(self, request: h11.Request) -> Message:
        target = bytes(request.target)
        if not target.startswith(b"/"):  # absolute-form, or `*` for OPTIONS
            parts = urlsplit(target)
            target = (parts.path or b"/") + (b"?" + parts.query if parts.query else b"")
        raw_path, _, query = target.partition(b"?")
        return {
            "type": "http",
            "asgi": dict(_ASGI),
            "http_version": request.http_version.decode("ascii"),
            "method": request.method.decode("ascii"),
            "scheme": "http",
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": list(request.headers),
            "client": self._client,
            "server": self._server,
            "state": dict(self._state),
        }

    async def _receive(self) -> Message:
        if not self._body_done:
            h11 = self._h11
            conn = self._conn
            if conn.they_are_waiting_for_100_continue:
                self._writer.write(
                    conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                )
            try:
                event = await self._next_event()
            except h11.RemoteProtocolError as exc:
                # A malformed body, or one cut short because the client left.
                self._body_done = True
                self._body_error = exc
                return {"type": "http.disconnect"}
            except OSError:
                self._body_done = self._gone = True
                return {"type": "http.disconnect"}
            if isinstance(event, h11.Data):
                return {"type": "http.request", "body": bytes(event.data), "more_body": True}
            self._body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}  # EndOfMessage
        # The body is read: per ASGI, block until the response is sent (or the
        # connection ends), then report a disconnect.
        if self._response_done is not None:
            await asyncio.shield(self._response_done)
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            if self._status:
                raise RuntimeError("http.response.start sent twice")
            status = message.get("status")
            if not isinstance(status, int):
                raise TypeError(f"ASGI status must be an int, got {status!r}")
            self._status = status
            self._headers = _headers(message.get("headers", ()))
        elif kind == "http.response.body":
            if not self._status or self._complete:
                raise RuntimeError("http.response.body sent out of order")
            body = message.get("body", b"")
            if not isinstance(body, bytes | bytearray | memoryview):
                raise TypeError(f"ASGI body must be bytes, got {type(body).__name__}")
            await self._write_body(bytes(body), more=bool(message.get("more_body", False)))
        else:
            raise ValueError(f"unsupported ASGI message type {kind!r}")

    async def _write_body(self, body: bytes, *, more: bool) -> None:
        h11 = self._h11
        conn = self._conn
        out = b""
        if not self._replied:
            headers = self._headers
            sized = any(name == b"content-length" for name, _ in headers)
            if not more and not sized and self._status not in _NO_BODY_STATUSES:
                headers.append((b"content-length", str(len(body)).encode("ascii")))
            response = h11.Response(
                status_code=self._status, headers=headers, reason=_reason(self._status)
            )
            self._held_back = conn.they_are_waiting_for_100_continue
            out = conn.send(response) or b""
            self._replied = True
        if body and not self._head_only and self._status not in _NO_BODY_STATUSES:
            out += conn.send(h11.Data(data=body)) or b""
        if not more:
            out += conn.send(h11.EndOfMessage()) or b""
            self._complete = True
            if self._response_done is not None and not self._response_done.done():
                self._response_done.set_result(None)
        try:
            self._writer.write(out)
            await self._writer.drain()
        except OSError as exc:
            self._gone = True
            raise _ClientGoneError(str(exc)) from exc

    def _write_simple(self, status: int, text: bytes) -> None:
        """Write a whole plain-text response and ask h11 to close afterwards."""
        h11 = self._h11
        conn = self._conn
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(text)).encode("ascii")),
            (b"connection", b"close"),
        ]
        try:
            out = conn.send(
                h11.Response(status_code=status, headers=headers, reason=_reason(status))
            )
            out = (out or b"") + (conn.send(h11.Data(data=text)) or b"")
            out += conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            return  # h11 cannot answer in this state (e.g. mid-response): just close
        self._writer.write(out)

    def _reject(self, exc: h11.RemoteProtocolError) -> None:
        """Answer a malformed request with 400 when a reply is still possible."""
        _log.debug("rejected a malformed request: %s", exc)
        if self._conn.our_state in {self._h11.IDLE, self._h11.SEND_RESPONSE}:
            self._write_simple(exc.error_status_hint, b"invalid HTTP request\n")


def _headers(raw: object) -> list[tuple[bytes, bytes]]:
    """ASGI response headers as a fresh list of (lowercase name, value) byte pairs."""
    if not isinstance(raw, list | tuple):
        raise TypeError("ASGI headers must be a list of [name, value] pairs")
    return [(bytes(name).lower(), bytes(value)) for name, value in raw]


def _address(raw: object) -> tuple[str, int] | None:
    """A socket address as ASGI wants it: (host, port), or None for non-IP sockets."""
    if isinstance(raw, tuple) and len(raw) >= 2:  # IPv4 pairs, IPv6 4-tuples
        return str(raw[0]), int(raw[1])
    return None


_REASONS: dict[int, bytes] = {}


def _reason(status: int) -> bytes:
    """The standard reason phrase for a status code, or empty for unknown codes."""
    reason = _REASONS.get(status)
    if reason is None:
        from http import HTTPStatus  # noqa: PLC0415 - an enum build, paid on first use only

        try:
            reason = HTTPStatus(status).phrase.encode("ascii")
        except ValueError:
            reason = b""
        _REASONS[status] = reason
    return reason

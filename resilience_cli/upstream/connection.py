"""One HTTP/1.1 client connection: parse with h11, run the ASGI app per request, reply.

Keep-alive, one request at a time, the app run inline in the connection's task. A
response whose body arrives in one `http.response.body` message gets a Content-Length; a
streamed one (`more_body`) is sent chunked, unless the app set its own length. A
malformed request gets a 400, and the connection is closed. A client that vanishes just
closes its connection.

The limits (`ServerLimits`) apply here, each where a client could otherwise hold the
server: the wait for a request head, every read of a body, every write of a response,
the body's size, and the final close. Nothing waits on a client without a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Final

from resilience_cli.upstream.app import ClientGoneError
from resilience_cli.upstream.http11 import (
    NO_BODY_STATUSES,
    address,
    content_length,
    plain_response,
    reason_phrase,
    request_scope,
    response_headers,
)

if TYPE_CHECKING:
    import h11

    from resilience_cli.upstream.app import ASGIApp, Message
    from resilience_cli.upstream.limits import ServerLimits

__all__ = ["Connection"]

_log = logging.getLogger(__name__)

_READ_SIZE: Final = 65_536
# What a misbehaving client is granted: a connection past the cap, this long to send the
# head its 503 answers; a client answered with an error, this long to stop sending.
_SHORT_WAIT: Final = 1.0


class Connection:
    """One client connection, served until it closes, errs, times out or is cancelled.

    Args:
        app: The ASGI app.
        reader: The connection's stream, read side.
        writer: The connection's stream, write side.
        state: The lifespan state, copied into every request's scope.
        limits: The server's limits.
        refuse: Answer the first request with 503 and close: the server is at its cap.
    """

    __slots__ = (
        "_app",
        "_body_done",
        "_body_error",
        "_body_size",
        "_body_unsized",
        "_client",
        "_complete",
        "_conn",
        "_gone",
        "_h11",
        "_head_only",
        "_headers",
        "_held_back",
        "_limits",
        "_linger",
        "_owed",
        "_reader",
        "_refuse",
        "_replied",
        "_response_done",
        "_server",
        "_state",
        "_status",
        "_writer",
    )

    def __init__(  # noqa: PLR0913 - the connection's parts, each given by the server
        self,
        app: ASGIApp,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        state: dict[str, object],
        limits: ServerLimits,
        *,
        refuse: bool = False,
    ) -> None:
        import h11  # noqa: PLC0415 - only a served upstream pays for the HTTP parser

        self._h11 = h11
        self._app = app
        self._reader = reader
        self._writer = writer
        self._state = state
        self._limits = limits
        self._refuse = refuse
        self._linger = 0.0  # seconds to drop input before closing, so a reply is not reset
        self._conn = h11.Connection(h11.SERVER)
        self._client = address(writer.get_extra_info("peername"))
        self._server = address(writer.get_extra_info("sockname"))
        # Per request:
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_only = False
        self._body_done = False
        self._body_error: h11.RemoteProtocolError | None = None
        self._body_size = 0
        self._body_unsized = False  # chunked: only reading it tells how long it is
        self._owed = 0  # a status the server owes the client (408, 413) instead of the app's
        self._gone = False  # reading or writing failed: the client has left
        self._replied = False  # the status line and headers are written
        self._complete = False  # the whole response is written
        self._held_back = False  # the client still awaited 100 Continue when we answered
        self._response_done: asyncio.Future[None] | None = None

    async def run(self) -> None:
        """Serve requests until the client closes, an error, a timeout, or cancellation."""
        h11 = self._h11
        cut = False
        try:
            await self._serve_requests()
        except TimeoutError:  # before OSError, its base: the client was too slow
            self._timed_out()
        except h11.RemoteProtocolError as exc:
            self._reject(exc)
        except h11.LocalProtocolError as exc:
            _log.warning("the upstream app sent an invalid response: %s", exc)
        except OSError:
            cut = True  # the client went away; nothing to tell it
        except asyncio.CancelledError:
            cut = True  # the server is stopping: cut, do not wait for a slow reader
            raise
        except Exception:  # noqa: BLE001 - a bug here must cost one connection, not the server
            _log.exception("an upstream connection failed")
        finally:
            await self._close(cut=cut or self._gone)

    async def _serve_requests(self) -> None:
        h11 = self._h11
        while True:
            event = await self._next_event(self._head_deadline())
            if not isinstance(event, h11.Request):
                return  # ConnectionClosed
            if self._refuse:
                self._write_simple(503, b"too many connections\n", [(b"retry-after", b"1")])
                return
            if not await self._serve(event) or not await self._finish_cycle():
                return

    def _head_deadline(self) -> float:
        wait = self._limits.idle_timeout
        if self._refuse:
            wait = min(wait, _SHORT_WAIT)
        return asyncio.get_running_loop().time() + wait

    def _body_deadline(self) -> float:
        return asyncio.get_running_loop().time() + self._limits.idle_timeout

    async def _next_event(self, deadline: float) -> h11.Event | type[h11.NEED_DATA | h11.PAUSED]:
        """The next h11 event, reading until `deadline` (loop time) at the latest.

        Raises:
            TimeoutError: The client sent too little before the deadline.
        """
        conn = self._conn
        need_data = self._h11.NEED_DATA
        event = conn.next_event()
        if event is need_data:
            async with asyncio.timeout_at(deadline):
                while event is need_data:
                    conn.receive_data(await self._reader.read(_READ_SIZE))
                    event = conn.next_event()
        return event

    async def _serve(self, request: h11.Request) -> bool:
        """Run the app for one request; whether the connection may serve another."""
        self._status = 0
        self._headers = []
        self._head_only = request.method == b"HEAD"
        self._body_done = False
        self._body_error = None
        self._body_size = 0
        self._body_unsized = any(name == b"transfer-encoding" for name, _ in request.headers)
        self._owed = 0
        self._gone = False
        self._replied = False
        self._complete = False
        self._held_back = False
        length = content_length(request.headers)
        if length is not None and length > self._limits.max_body:
            await self._too_large()  # before the app, and before any 100 Continue
            return False
        self._response_done = asyncio.get_running_loop().create_future()
        try:
            scope = request_scope(request, self._client, self._server, self._state)
            await self._app(scope, self._receive, self._send)
        except ClientGoneError:
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
            return await self._incomplete()
        return True

    async def _incomplete(self) -> bool:
        """The app returned without a whole response: say why, if the client can hear it."""
        if self._gone:  # the app gave up on a client that left
            return False
        if self._owed == 413 and not self._replied:
            await self._too_large()
        elif self._owed and not self._replied:
            self._write_simple(self._owed, b"request timeout\n")
        elif self._body_error is not None:  # the app gave up on a malformed body
            self._reject(self._body_error)
        elif not self._owed:
            _log.error("the upstream app returned without completing its response")
            return self._fail()
        return False

    def _fail(self) -> bool:
        """Answer 500 when nothing was sent yet; the connection is closed either way."""
        if not self._replied:
            self._write_simple(500, b"internal server error\n")
        return False

    async def _too_large(self) -> None:
        """Answer 413; the client may finish its upload (dropped) and read the answer."""
        limit = self._limits.max_body
        self._write_simple(413, f"request body too large: the limit is {limit} bytes\n".encode())
        self._linger = self._limits.idle_timeout

    async def _finish_cycle(self) -> bool:
        """Read the rest of a body the app ignored, then get ready for the next request."""
        h11 = self._h11
        conn = self._conn
        if self._held_back or self._owed:
            return False  # the body was never sent, or is not worth reading: close
        while conn.their_state is h11.SEND_BODY:
            event = await self._next_event(self._body_deadline())
            if isinstance(event, h11.ConnectionClosed):
                return False
            if isinstance(event, h11.Data):
                self._body_size += len(event.data)
                if self._body_size > self._limits.max_body:
                    self._linger = self._limits.idle_timeout  # let it end, dropped; close
                    return False
        if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            return False  # Connection: close, HTTP/1.0, or an abandoned request
        conn.start_next_cycle()
        return True

    async def _receive(self) -> Message:
        if not self._body_done:
            return await self._read_body_part()
        # The body is read: per ASGI, block until the response is sent (or the
        # connection ends), then report a disconnect.
        if self._response_done is not None:
            await asyncio.shield(self._response_done)
        return {"type": "http.disconnect"}

    async def _read_body_part(self) -> Message:
        """The next `http.request` message, or `http.disconnect` when the body cannot be had."""
        h11 = self._h11
        conn = self._conn
        if conn.they_are_waiting_for_100_continue:
            self._writer.write(
                conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
            )
        self._body_done = True  # unless a part of it arrives, below
        try:
            event = await self._next_event(self._body_deadline())
        except h11.RemoteProtocolError as exc:
            self._body_error = exc  # a malformed body, or one cut short by the client
            return {"type": "http.disconnect"}
        except TimeoutError:  # before OSError, its base: the body stalled
            self._owed = 408
            return {"type": "http.disconnect"}
        except OSError:
            self._gone = True
            return {"type": "http.disconnect"}
        if not isinstance(event, h11.Data):
            return {"type": "http.request", "body": b"", "more_body": False}  # EndOfMessage
        self._body_size += len(event.data)
        if self._body_size > self._limits.max_body:
            self._owed = 413
            return {"type": "http.disconnect"}
        self._body_done = False
        return {"type": "http.request", "body": bytes(event.data), "more_body": True}

    async def _send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            if self._status:
                raise RuntimeError("http.response.start sent twice")
            status = message.get("status")
            if not isinstance(status, int):
                raise TypeError(f"ASGI status must be an int, got {status!r}")
            self._status = status
            self._headers = response_headers(message.get("headers", ()))
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
            if not more and not sized and self._status not in NO_BODY_STATUSES:
                headers.append((b"content-length", str(len(body)).encode("ascii")))
            if self._body_unsized and conn.their_state is h11.SEND_BODY:
                # Answered before a chunked body ended: reading the rest may pass the
                # limit, and then the connection closes. Say so now, not by surprise.
                headers.append((b"connection", b"close"))
            response = h11.Response(
                status_code=self._status, headers=headers, reason=reason_phrase(self._status)
            )
            self._held_back = conn.they_are_waiting_for_100_continue
            out = conn.send(response) or b""
            self._replied = True
        if body and not self._head_only and self._status not in NO_BODY_STATUSES:
            out += conn.send(h11.Data(data=body)) or b""
        if not more:
            out += conn.send(h11.EndOfMessage()) or b""
            self._complete = True
            if self._response_done is not None and not self._response_done.done():
                self._response_done.set_result(None)
        writer = self._writer
        try:
            writer.write(out)
            if writer.transport.get_write_buffer_size():
                # The kernel did not take it all: bound the wait on a client that may
                # have stopped reading. (A write the kernel took needs no timer.)
                async with asyncio.timeout(self._limits.idle_timeout):
                    await writer.drain()
            else:
                await writer.drain()
        except OSError as exc:  # TimeoutError included: the client stopped reading
            self._gone = True
            raise ClientGoneError(str(exc) or "the client stopped reading") from exc

    def _write_simple(
        self, status: int, text: bytes, extra: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        """Write a whole plain-text response and ask h11 to close afterwards."""
        h11 = self._h11
        conn = self._conn
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(text)).encode("ascii")),
            (b"connection", b"close"),
            *(extra or ()),
        ]
        try:
            out = conn.send(
                h11.Response(status_code=status, headers=headers, reason=reason_phrase(status))
            )
            out = (out or b"") + (conn.send(h11.Data(data=text)) or b"")
            out += conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            return  # h11 cannot answer in this state (e.g. mid-response): just close
        self._replied = True
        self._writer.write(out)
        self._linger = max(self._linger, min(self._limits.idle_timeout, _SHORT_WAIT))

    def _reject(self, exc: h11.RemoteProtocolError) -> None:
        """Answer a malformed request with 400 when a reply is still possible."""
        _log.debug("rejected a malformed request: %s", exc)
        if self._conn.our_state in {self._h11.IDLE, self._h11.SEND_RESPONSE}:
            self._write_simple(exc.error_status_hint, b"invalid HTTP request\n")

    def _timed_out(self) -> None:
        """A request head that began but did not finish in time gets a 408; silence, nothing."""
        conn = self._conn
        if conn.their_state is self._h11.IDLE and conn.trailing_data[0]:
            # h11 answers only a request it has parsed: this reply is written by hand.
            self._writer.write(plain_response(408, b"request timeout\n"))
            self._linger = min(self._limits.idle_timeout, _SHORT_WAIT)

    async def _close(self, *, cut: bool) -> None:
        """Close the connection, waiting for the last bytes to leave at most the idle timeout.

        `cut` drops anything unsent at once: the client left, or the server is stopping.
        A client that stopped reading can otherwise hold a close (and `stop()`) forever.
        """
        transport = self._writer.transport
        wait = self._limits.idle_timeout
        if self._refuse:
            wait = min(wait, _SHORT_WAIT)
        try:
            if cut:
                transport.abort()
            else:
                if self._linger:
                    await self._drop_input(self._linger)
                transport.close()
            async with asyncio.timeout(wait):
                await self._writer.wait_closed()
        except OSError:  # TimeoutError included
            pass
        finally:
            transport.abort()  # a no-op once closed; cuts a reader too slow, or a stop

    async def _drop_input(self, seconds: float) -> None:
        """Send EOF, then read and drop what the client still sends, for `seconds` at most.

        Closing with unread input sends a reset, and a reset can destroy the reply the
        client has not read yet: a client still uploading would see "connection reset"
        instead of its 413. Dropping costs no memory.
        """
        writer = self._writer
        with contextlib.suppress(OSError):  # TimeoutError included
            if writer.can_write_eof():
                writer.write_eof()
            async with asyncio.timeout(seconds):
                while await self._reader.read(_READ_SIZE):
                    pass

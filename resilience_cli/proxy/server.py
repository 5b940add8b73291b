"""A fault-injecting reverse proxy on asyncio streams, in front of any HTTP/1.1 service.

Each client connection gets its own connection to the upstream, opened at its first
forwarded request. For every request the proxy draws a `Fate` from the current
`FaultProfile` (`faults.decide`, seeded) and then:

- resets the connection (`reset`), or holds it without a word until the client gives up
  (`black_hole`: a timeout for the client), or answers the status itself without asking
  the upstream (`status`, the request's body read and dropped so the connection stays
  usable);
- or forwards it, `Host` rewritten to the upstream's, after the fate's latency; the
  answer's bytes are copied back as they come, after the fate's first-byte wait and at
  its bandwidth.

With no fault active a request costs one read of its head, one write, and the copy of
the answer: `benchmarks/bench_proxy.py` measures what that adds against the same upstream
without the proxy.

The faults change at run time (`profile`, set by the control endpoint or a scenario's
`faults:` step, or the switch's fault phases, timed from `start()`); a request already
decided keeps its fate. What one client may cost is bounded as the embedded server
bounds it (`ServerLimits`): a request head must arrive within the idle timeout and fit
in 64 KiB; the upstream must answer the connection within it. `stop()` cuts every
connection at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from typing import TYPE_CHECKING, Final, Self
from urllib.parse import urlsplit

from resilience_cli.limits import MAX_HEAD_BYTES
from resilience_cli.proxy.faults import HEALTHY, PASS, Action, Fate, FaultProfile, FaultSwitch
from resilience_cli.proxy.http1 import BadRequestError, RequestHead, answer, copy_body, parse_head
from resilience_cli.redact import redact_url
from resilience_cli.upstream.http11 import reason_phrase
from resilience_cli.upstream.limits import ServerLimits

if TYPE_CHECKING:
    from types import TracebackType

_log = logging.getLogger(__name__)
_READ: Final = 65_536
_HIGH_WATER: Final = 262_144  # bytes queued for a client before the copy waits for it
_BANDWIDTH_SLICE: Final = 0.05  # seconds of bandwidth written at a time


class Upstream:
    """Where the proxy forwards to: `http://host:port`, parsed once."""

    __slots__ = ("host", "netloc", "port", "shown", "url")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{url!r} must be an http:// URL with a host")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(f"{url!r} must have no path or query: the proxy forwards paths")
        self.url = url.rstrip("/")
        self.shown = redact_url(self.url)  # what messages say: no password, ever
        self.host = parts.hostname
        self.port = parts.port or 80
        self.netloc = (parts.netloc.rpartition("@")[2]).encode("ascii")


class FaultProxy:
    """Forward HTTP/1.1 from `host:port` (loopback by default) to `upstream`, with faults.

    Args:
        upstream: The service's `http://host:port`.
        host: The address to listen on.
        port: The port; 0 picks a free one (see `base_url`).
        profile: The faults at start; change them with `profile`.
        seed: Seeds the draws of every request's fate.
        limits: Bounds on what a client may cost (the idle timeout applies).
        switch: The faults and draws to share with others (a scenario's steps); it
            replaces `profile` and `seed`.
    """

    def __init__(  # noqa: PLR0913 - where, what and how, each a keyword
        self,
        upstream: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        profile: FaultProfile = HEALTHY,
        seed: int = 0,
        limits: ServerLimits | None = None,
        switch: FaultSwitch | None = None,
    ) -> None:
        self.upstream = Upstream(upstream)
        self.switch = FaultSwitch(profile, seed) if switch is None else switch
        self._host = host
        self._port = port
        self._limits = ServerLimits(max_connections=None) if limits is None else limits
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def profile(self) -> FaultProfile:
        """The faults of this moment."""
        return self.switch.profile

    @profile.setter
    def profile(self, profile: FaultProfile) -> None:
        self.switch.profile = profile

    @property
    def fates(self) -> dict[Action, int]:
        """How many requests met each fate so far."""
        return self.switch.fates

    @property
    def base_url(self) -> str:
        """`http://host:port` of the listener; only valid after `start()`."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the proxy is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self) -> None:
        """Listen, and start the switch's fault phases; raises OSError when it cannot bind."""
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, limit=MAX_HEAD_BYTES
        )
        self.switch.start()  # the phases run from the moment the proxy listens

    async def stop(self) -> None:
        """Stop listening and cut every connection at once; safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
        if server is not None:
            await server.wait_closed()

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

    def decide(self) -> Fate:
        """The next request's fate, under the faults of this moment."""
        return self.switch.decide()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await _Exchange(self, reader, writer).run()
        except asyncio.CancelledError:
            # `stop()` cut it. Ended cancelled, the task would make Python 3.11's
            # start_server log a traceback for it (its callback asks for the exception).
            return


class _Exchange:
    """One client connection, and its connection to the upstream once it needs one."""

    __slots__ = ("_client", "_copy", "_fate", "_proxy", "_reader", "_up_reader", "_up_writer")

    def __init__(
        self, proxy: FaultProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._proxy = proxy
        self._reader = reader
        self._client = writer
        self._up_reader: asyncio.StreamReader | None = None
        self._up_writer: asyncio.StreamWriter | None = None
        self._copy: asyncio.Task[None] | None = None
        self._fate: Fate | None = None  # the fate of the answer being copied back

    async def run(self) -> None:
        reset = False
        try:
            reset = await self._serve()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client or the upstream went away mid-way: close both
        except BadRequestError as exc:
            self._client.write(answer(400, "Bad Request", str(exc), close=True))
        except Exception:  # noqa: BLE001 - a bug here must cost one connection, not the proxy
            _log.exception("a proxied connection failed")
        finally:
            await self._close(reset=reset)

    async def _serve(self) -> bool:  # noqa: C901, PLR0911, PLR0912 - one request's paths, in order
        """Serve requests until the connection ends; True when it ends in a reset."""
        idle = self._proxy._limits.idle_timeout  # noqa: SLF001 - the proxy's own limits
        reader = self._reader
        while True:
            try:
                async with asyncio.timeout(idle):
                    head_bytes = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return False  # the client closed between requests
            except asyncio.LimitOverrunError:
                self._client.write(answer(431, "Request Header Fields Too Large", "", close=True))
                return False
            except TimeoutError:
                return False
            head = parse_head(head_bytes)
            fate = self._proxy.decide()
            if fate.action is Action.RESET:
                return True
            if fate.action is Action.BLACK_HOLE:
                while await reader.read(_READ):
                    pass  # swallowed until the client gives up
                return False
            if fate.action is Action.STATUS:
                if not await self._answer_status(head, fate.status):
                    return False
                continue
            if fate.delay:
                await asyncio.sleep(fate.delay)
            if not await self._forward(head, fate):
                return False
            if head.upgrade:
                await self._tunnel()
                return False
            if head.close:
                await self._wait_for_answer()
                return False

    async def _answer_status(self, head: RequestHead, status: int) -> bool:
        """Answer `status` ourselves; whether the connection can serve another request."""
        # Waiting for 100 Continue, the client may send no body: we cannot read on safely.
        close = head.close or head.expects_continue
        if head.has_body and not head.expects_continue:
            await copy_body(self._reader, None, head)
        reason = reason_phrase(status).decode("ascii")
        self._client.write(answer(status, reason, f"status {status}", close=close))
        await self._client.drain()
        return not close

    async def _forward(self, head: RequestHead, fate: Fate) -> bool:
        """Send the request upstream; False when the upstream cannot be reached (502 sent)."""
        if self._up_writer is None or self._copy is None or self._copy.done():
            upstream = self._proxy.upstream
            idle = self._proxy._limits.idle_timeout  # noqa: SLF001 - the proxy's own limits
            try:
                async with asyncio.timeout(idle):
                    self._up_reader, self._up_writer = await asyncio.open_connection(
                        upstream.host, upstream.port
                    )
            except OSError as exc:
                message = f"cannot reach {upstream.shown}: {exc.strerror or exc}"
                self._client.write(answer(502, "Bad Gateway", message, close=True))
                return False
            sock = self._up_writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._copy = asyncio.get_running_loop().create_task(self._copy_answers())
        self._fate = fate
        writer = self._up_writer
        writer.write(head.forwarded(self._proxy.upstream.netloc))
        if head.has_body:
            await copy_body(self._reader, writer, head)
        elif writer.transport.get_write_buffer_size() > _HIGH_WATER:
            await writer.drain()
        return True

    async def _copy_answers(self) -> None:
        """Copy the upstream's bytes to the client until either side closes."""
        reader, client = self._up_reader, self._client
        if reader is None:  # pragma: no cover - started once the upstream is open
            return
        try:
            while data := await reader.read(_READ):
                fate = self._fate
                if fate is not None and fate is not _PLAIN:
                    self._fate = _PLAIN  # the fate's waits are for its answer's first bytes
                    if fate.first_byte:
                        await asyncio.sleep(fate.first_byte)
                    if fate.bandwidth:
                        self._fate = fate  # the whole answer is slowed
                        await _write_slowly(client, data, fate.bandwidth)
                        continue
                client.write(data)
                if client.transport.get_write_buffer_size() > _HIGH_WATER:
                    await client.drain()
        except OSError:
            pass
        finally:
            client.close()  # the upstream is done with this connection: so are we

    async def _wait_for_answer(self) -> None:
        if self._copy is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._copy

    async def _tunnel(self) -> None:
        """After an Upgrade: copy the client's bytes upstream as they come, until either ends."""
        writer = self._up_writer
        if writer is None:  # pragma: no cover - an upgrade was forwarded
            return
        while data := await self._reader.read(_READ):
            writer.write(data)
            await writer.drain()

    async def _close(self, *, reset: bool) -> None:
        if self._copy is not None and not self._copy.done():
            self._copy.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await self._copy
        for writer in (self._client, self._up_writer):
            if writer is None:
                continue
            if reset:
                _linger_zero(writer)
                writer.transport.abort()  # an RST, not a FIN: "connection reset by peer"
            else:
                writer.close()
        with contextlib.suppress(OSError):
            await self._client.wait_closed()


_PLAIN: Final = PASS  # an answer under way with nothing left to slow


def _linger_zero(writer: asyncio.StreamWriter) -> None:
    """Make the close a reset: SO_LINGER on, with a timeout of 0."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def _write_slowly(client: asyncio.StreamWriter, data: bytes, bandwidth: float) -> None:
    """Write `data` at `bandwidth` bytes per second, a slice at a time."""
    step = max(1, int(bandwidth * _BANDWIDTH_SLICE))
    for start in range(0, len(data), step):
        piece = data[start : start + step]
        client.write(piece)
        await client.drain()
        await asyncio.sleep(len(piece) / bandwidth)

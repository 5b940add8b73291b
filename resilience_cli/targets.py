"""Where requests go: a URL, the embedded server, the app in-process, or a proxy before one.

Every target starts on first use (`ResilientClient` calls `start` on its first request),
so a command whose calls all short-circuit on an open breaker never starts a server.
`ProxiedTarget` stands the fault-injecting proxy in front of any of the others (in
virtual time, its in-process transport), with faults that a scenario changes by step.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from collections.abc import Callable

    from resilience_cli.client import Target
    from resilience_cli.proxy import FaultProxy, FaultSwitch
    from resilience_cli.upstream import ASGIApp, UpstreamServer
    from resilience_cli.upstream.fault_control import LiveFaults

EMBEDDED_HOST = "127.0.0.1"
IN_PROCESS_URL = "http://upstream.invalid"
_WARM_UP_TIMEOUT = 5.0  # seconds; the embedded server answers /health in well under 1 ms


class RemoteTarget:
    """Any httpbin-compatible server at a URL, a real httpbin for instance."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def start(self) -> str:
        """Nothing to start: the URL is the target."""
        return self.base_url

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """Real sockets."""
        return None

    async def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        """The URL, with any password or token in it redacted: reports show this."""
        from resilience_cli.redact import redact_url  # noqa: PLC0415

        return redact_url(self.base_url)


def embedded_app(seed: int, wall: Callable[[], float], faults: LiveFaults | None) -> ASGIApp:
    """The embedded app; with faults, it consults them and answers `/fault` too."""
    from resilience_cli.upstream import UpstreamApp  # noqa: PLC0415 - lazy
    from resilience_cli.upstream.fault_control import FaultControl  # noqa: PLC0415 - lazy

    app = UpstreamApp(seed, wall=wall, faults=faults)
    return app if faults is None else FaultControl(app, faults)


class EmbeddedTarget:
    """The embedded upstream, served on an ephemeral loopback port while a command runs."""

    def __init__(
        self, seed: int, wall: Callable[[], float], faults: LiveFaults | None = None
    ) -> None:
        self._seed = seed
        self._wall = wall
        self._faults = faults
        self._server: UpstreamServer | None = None
        self._served_at: str | None = None

    async def start(self) -> str:
        """Serve the embedded app on 127.0.0.1, on a port the kernel picks.

        No connection cap: the command's own client, sized by its concurrency, is the one
        caller, and a cap below it would answer the run's own calls with 503.
        """
        from resilience_cli.upstream import ServerLimits, UpstreamServer  # noqa: PLC0415 - lazy

        if self._server is None:
            server = UpstreamServer(
                embedded_app(self._seed, self._wall, self._faults),
                EMBEDDED_HOST,
                0,
                limits=ServerLimits(max_connections=None),
            )
            await server.start()
            self._server = server
            self._served_at = server.base_url
            await _warm_up(server.base_url)
        return self._server.base_url

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """Real loopback sockets."""
        return None

    async def close(self) -> None:
        """Stop the server if it was started."""
        if self._server is not None:
            await self._server.stop()
            self._server = None

    def describe(self) -> str:
        """`embedded` and, if it was started, its URL."""
        return "embedded" if self._served_at is None else f"embedded {self._served_at}"


async def _warm_up(base_url: str) -> None:
    """Ask the embedded upstream for `/health` once, before any call.

    The first request of a process loads the modules httpx imports lazily (its async
    backend: ~60 ms here, several times that on a busy machine). Paid here, not by the
    first attempt, whose timeout may be 500 ms.
    """
    # Plain http on loopback: no certificate to check, and no SSL context to build.
    client = httpx.AsyncClient(base_url=base_url, verify=False, timeout=_WARM_UP_TIMEOUT)  # noqa: S501
    # Only a head start: if it fails, the first call meets the same problem and says so.
    with contextlib.suppress(httpx.HTTPError):
        async with client:
            await client.get("/health")


class InProcessTarget:
    """The embedded app called in-process through `httpx.ASGITransport`: no sockets at all.

    This is what virtual-time runs use: nothing is in flight outside the event loop.
    """

    def __init__(
        self, seed: int, wall: Callable[[], float], faults: LiveFaults | None = None
    ) -> None:
        self._transport = httpx.ASGITransport(app=embedded_app(seed, wall, faults))

    async def start(self) -> str:
        """A placeholder URL: the transport never resolves it."""
        return IN_PROCESS_URL

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """The ASGI transport."""
        return self._transport

    async def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        """`in-process`."""
        return "in-process"


class ProxiedTarget:
    """The fault-injecting proxy on loopback in front of `inner`, its faults from `switch`.

    Started with `inner`: a proxy on an ephemeral port forwards to `inner`'s URL. In
    virtual time (`inner` has a transport, no URL to forward to) the faults are applied
    in-process by `FaultyTransport` instead.
    """

    def __init__(self, inner: Target, switch: FaultSwitch) -> None:
        self._inner = inner
        self._switch = switch
        self._proxy: FaultProxy | None = None
        self._transport: httpx.AsyncBaseTransport | None = None

    async def start(self) -> str:
        """Start `inner`, then the proxy in front of it; the proxy's URL."""
        from resilience_cli.proxy import FaultProxy  # noqa: PLC0415 - lazy
        from resilience_cli.proxy.transport import FaultyTransport  # noqa: PLC0415

        url = await self._inner.start()
        inner = self._inner.transport()
        if inner is not None:
            self._transport = FaultyTransport(inner, self._switch)
            return url
        if self._proxy is None:
            proxy = FaultProxy(url, EMBEDDED_HOST, 0, switch=self._switch)
            await proxy.start()
            self._proxy = proxy
        return self._proxy.base_url

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """The in-process faults in virtual time; else real sockets to the proxy."""
        return self._transport

    async def close(self) -> None:
        """Stop the proxy, then `inner`."""
        if self._proxy is not None:
            await self._proxy.stop()
            self._proxy = None
        await self._inner.close()

    def describe(self) -> str:
        """`proxy http://127.0.0.1:PORT -> <inner>`, or `proxy -> in-process`."""
        where = "" if self._proxy is None else f" {self._proxy.base_url}"
        return f"proxy{where} -> {self._inner.describe()}"

"""The proxy's faults in-process: an httpx transport around another, for virtual time.

A virtual-time run has no sockets (`httpx.ASGITransport`), so no proxy can stand between
the client and the upstream; this transport stands there instead, with the same
`FaultSwitch` and the same decisions. Each fate looks to the client as it does through
the real proxy: a status answered without the upstream, a reset as a transport error, a
black hole as a wait that only the client's timeout ends, and the latency, first-byte
wait and bandwidth as waits on the loop's clock (virtual: they cost no real time).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import httpx

from resilience_cli.proxy.faults import Action

if TYPE_CHECKING:
    from resilience_cli.proxy.faults import FaultSwitch


class FaultyTransport(httpx.AsyncBaseTransport):
    """Applies the switch's faults to every request sent through `inner`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, switch: FaultSwitch) -> None:
        self._inner = inner
        self._switch = switch

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Decide the request's fate, then act it out."""
        fate = self._switch.decide()
        if fate.action is Action.RESET:
            raise httpx.ReadError("connection reset by the proxy", request=request)
        if fate.action is Action.BLACK_HOLE:
            await asyncio.get_running_loop().create_future()  # until the client gives up
        if fate.action is Action.STATUS:
            body = {"error": f"status {fate.status}", "injected_by": "resilience upstream proxy"}
            return httpx.Response(
                fate.status,
                headers={"x-resilience-fault": str(fate.status)},
                content=json.dumps(body).encode(),
                request=request,
            )
        if fate.delay or fate.first_byte:
            await asyncio.sleep(fate.delay + fate.first_byte)
        response = await self._inner.handle_async_request(request)
        if fate.bandwidth:
            content = await response.aread()
            await asyncio.sleep(len(content) / fate.bandwidth)
        return response

    async def aclose(self) -> None:
        """Close the transport inside."""
        await self._inner.aclose()

"""The proxy's control endpoint: an ASGI app that reads and changes the faults at run time.

Served on its own loopback port by the embedded server (`UpstreamServer`, with its
limits), so the proxied service keeps every path of its own:

- `GET /faults`: `{"faults": {...}, "describe": "...", "upstream": URL, "fates": {...},
  "source": "set"|"schedule"|"none", "schedule": "0s:... 10s:...", "elapsed_s": 12.5}`;
- `PUT /faults` with a JSON object of faults: those keys set, the others healthy; `PATCH
  /faults`: those keys changed, the others kept; both answer as GET does, or 400 with
  `{"error": ...}` naming the bad key. What they set holds over the `--phase` schedule;
- `DELETE /faults`: back to the schedule (healthy without one);
- `GET /health`: `{"status": "ok"}`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from resilience_cli.proxy.faults import HEALTHY, profile_from

if TYPE_CHECKING:
    from resilience_cli.proxy.server import FaultProxy
    from resilience_cli.upstream.app import Receive, Scope, Send

_MAX_BODY: Final = 64 * 1024


class ControlApp:
    """The control endpoint of one `FaultProxy`."""

    def __init__(self, proxy: FaultProxy) -> None:
        self._proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI scope (`http`; `lifespan` is acknowledged)."""
        if scope.get("type") == "lifespan":
            while True:
                message = await receive()
                kind = str(message.get("type", ""))
                if kind.endswith(".startup"):
                    await send({"type": "lifespan.startup.complete"})
                elif kind.endswith(".shutdown"):
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path, method = scope.get("path"), scope.get("method")
        if path == "/health" and method == "GET":
            await _reply(send, 200, {"status": "ok"})
        elif path != "/faults":
            await _reply(send, 404, {"error": f"not found: {path}; try /faults"})
        elif method == "GET":
            await _reply(send, 200, self.state())
        elif method == "DELETE":
            self._proxy.switch.clear()
            await _reply(send, 200, self.state())
        elif method in ("PUT", "PATCH"):
            await self._change(receive, send, merge=method == "PATCH")
        else:
            await _reply(send, 405, {"error": "use GET, PUT, PATCH or DELETE"})

    def state(self) -> dict[str, object]:
        """What GET /faults answers."""
        proxy = self._proxy
        switch = proxy.switch
        elapsed = switch.elapsed
        return {
            "faults": proxy.profile.to_dict(),
            "describe": proxy.profile.describe(),
            "upstream": proxy.upstream.shown,
            "fates": {action.value: count for action, count in proxy.fates.items()},
            "source": switch.source,
            "schedule": str(switch.schedule or ""),
            "elapsed_s": None if elapsed is None else round(elapsed, 3),
        }

    async def _change(self, receive: Receive, send: Send, *, merge: bool) -> None:
        body = b""
        while True:
            message = await receive()
            if message.get("type") != "http.request":
                return
            chunk = message.get("body", b"")
            body += bytes(chunk) if isinstance(chunk, bytes | bytearray) else b""
            if len(body) > _MAX_BODY:
                await _reply(send, 413, {"error": "at most 64 KiB of faults"})
                return
            if not message.get("more_body"):
                break
        try:
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object of faults")  # noqa: TRY004, TRY301 - one answer for both
            self._proxy.profile = profile_from(data, self._proxy.profile if merge else HEALTHY)
        except (ValueError, RecursionError) as exc:
            await _reply(send, 400, {"error": str(exc)})
            return
        await _reply(send, 200, self.state())


async def _reply(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode() + b"\n"
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

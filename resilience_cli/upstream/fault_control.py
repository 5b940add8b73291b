"""The faults an upstream applies now, and the loopback-only control that changes them.

`LiveFaults` is what the embedded app consults before it answers a request (its one
seam, `UpstreamApp(faults=...)`): a `faults.Schedule` read against a clock from the
moment `start()` is called (a stress run's first arrival, `upstream serve`'s start), or a
fault set by hand, which holds until it is cleared. Its draws come from an rng of its
own, seeded from the run's seed: the app's own random answers (`/status/200,500`) are the
same with or without faults.

`FaultControl` wraps an app with `/fault`, so that a second terminal can flip faults
during a class (`resilience upstream fault status=500@0.6`):

- `GET /fault`: `{"fault": "status=500@0.6", "source": "schedule"|"set"|"none",
  "schedule": "10s:... 25s:...", "elapsed_s": 12.5}`;
- `PUT /fault` with the fault as the body (`healthy`, `status=500@0.6,delay=1s`): it holds
  from now on, over the schedule; `DELETE /fault`: back to the schedule.

Only a client on the loopback interface may use it (403 otherwise), whatever address the
server listens on: the faults are the teacher's, not the network's.
"""

from __future__ import annotations

import ipaddress
import json
import random
from typing import TYPE_CHECKING, Final

from resilience_cli.faults import HEALTHY, NO_EFFECT, Effect, Fault, Schedule, draw, parse_fault

if TYPE_CHECKING:
    from collections.abc import Callable

    from resilience_cli.upstream.app import ASGIApp, Receive, Scope, Send

CONTROL_PATH: Final = "/fault"
_MAX_BODY: Final = 1024  # a fault is a few dozen characters


class LiveFaults:
    """The fault in force now: a schedule from its start, or one set by hand.

    Args:
        schedule: The phases, timed from `start()`.
        clock: Monotonic seconds (the run's clock: virtual time in a virtual run).
        seed: Seeds the draws (the rng is the faults' own).
    """

    __slots__ = ("_clock", "_override", "_rng", "_schedule", "_started")

    def __init__(
        self, schedule: Schedule | None = None, *, clock: Callable[[], float], seed: int = 0
    ) -> None:
        self._schedule = schedule or Schedule()
        self._clock = clock
        self._rng = random.Random(f"faults-{seed}")
        self._started: float | None = None
        self._override: Fault | None = None

    @property
    def schedule(self) -> Schedule:
        """The phases."""
        return self._schedule

    def start(self) -> None:
        """Time zero of the schedule is now."""
        self._started = self._clock()

    @property
    def elapsed(self) -> float | None:
        """Seconds since `start()`, or None before it."""
        return None if self._started is None else self._clock() - self._started

    def set(self, fault: Fault) -> None:
        """Apply `fault` from now on, over the schedule, until `clear()`."""
        self._override = fault

    def clear(self) -> None:
        """Back to the schedule."""
        self._override = None

    def current(self) -> Fault:
        """The fault in force now (healthy before `start()`, unless one was set)."""
        if self._override is not None:
            return self._override
        elapsed = self.elapsed
        return HEALTHY if elapsed is None else self._schedule.fault_at(elapsed)

    def effect(self) -> Effect:
        """What happens to the request arriving now."""
        fault = self.current()
        return NO_EFFECT if fault.healthy else draw(fault, self._rng)

    def describe(self) -> dict[str, object]:
        """What `GET /fault` answers."""
        elapsed = self.elapsed
        source = "set" if self._override is not None else "schedule" if self._schedule else "none"
        return {
            "fault": str(self.current()),
            "source": source,
            "schedule": str(self._schedule),
            "elapsed_s": None if elapsed is None else round(elapsed, 3),
        }


class FaultControl:
    """An ASGI app: `/fault` for loopback clients, everything else to the wrapped app."""

    __slots__ = ("_app", "_faults")

    def __init__(self, app: ASGIApp, faults: LiveFaults) -> None:
        self._app = app
        self._faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve `/fault`, or hand the request on."""
        if scope.get("type") != "http" or scope.get("path") != CONTROL_PATH:
            await self._app(scope, receive, send)
            return
        status, payload = await self._control(scope, receive)
        body = json.dumps(payload).encode() + b"\n"
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _control(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, object]]:
        if not _from_loopback(scope):
            return 403, {"error": "the fault control answers loopback clients only"}
        method = str(scope.get("method", "GET"))
        if method in ("GET", "HEAD"):
            return 200, self._faults.describe()
        if method == "DELETE":
            self._faults.clear()
            return 200, self._faults.describe()
        if method not in ("PUT", "POST"):
            return 405, {"error": "use GET, PUT or DELETE"}
        return await self._set(receive)

    async def _set(self, receive: Receive) -> tuple[int, dict[str, object]]:
        text = await _body(receive)
        if text is None:
            return 400, {"error": f"a fault is at most {_MAX_BODY} bytes of UTF-8 text"}
        try:
            fault = parse_fault(text)
        except ValueError as exc:
            return 400, {"error": str(exc)}
        self._faults.set(fault)
        return 200, self._faults.describe()


def _from_loopback(scope: Scope) -> bool:
    """Whether the client is on this machine: 127.0.0.0/8, ::1, or ::ffff:127.x.x.x."""
    client = scope.get("client")
    if not isinstance(client, list | tuple) or not client:
        return False
    try:
        address = ipaddress.ip_address(str(client[0]))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


async def _body(receive: Receive) -> str | None:
    """The request body as text, or None when it is too long or not UTF-8."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message.get("type") != "http.request":
            return None
        chunk = message.get("body", b"")
        if isinstance(chunk, bytes | bytearray):
            size += len(chunk)
            if size > _MAX_BODY:
                return None
            chunks.append(bytes(chunk))
        if not message.get("more_body", False):
            break
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        return None

"""An httpbin-compatible fault server as a bare ASGI 3 app, so every demo works offline.

Why no framework: the app is on the hot path of every embedded run and benchmark, it
must import in a few milliseconds (stdlib only), and it must wait *only* with
`asyncio.sleep` so that a run on the virtual-time event loop finishes at once. Why
httpbin's shapes: users can point the same scenarios at a real httpbin and compare.

Endpoints (bodies are JSON like httpbin's unless said otherwise):

- `GET /get`: `args`, `headers`, `origin`, `url`.
- `/delay/{seconds}`, any method: waits (fractions allowed, capped at `max_delay`), then
  echoes the request as `/anything` does.
- `/status/{codes}`, any method: one code (`/status/500`) or a weighted choice
  (`/status/200:0.7,500:0.3`; no weights means equal ones), drawn from the app's seeded
  rng. Empty `text/html` body, and no `Retry-After`: that is `/retry-after`'s job. As
  httpbin: a redirect has `Location: /redirect/1`, 401 and 407 their challenge, 406 a
  JSON body, 418 its teapot.
- `/anything` and `/anything/{path}`, any method: `method`, `args`, `data`, `files`,
  `form`, `json`, `headers`, `origin`, `url`.
- `/unstable?failure_rate=0.5&seed=N`, after go-httpbin: 500 with that probability,
  else 200. Unlike go-httpbin, where a seed fixes one answer, a `seed` here selects a
  sequence of its own: the same seed replays the same answers, in order, on any fresh
  app. The app keeps the `SEEDS_KEPT` most recently used sequences; a seed pushed out by
  that many others starts again from its first answer.
- `/retry-after/{seconds}?status=429|503&date=0|1` (ours): 429 or 503 with `Retry-After`
  in delay-seconds (0 to a day), or as an HTTP-date from the injected wall clock.
- `/health`: `{"status": "ok", "upstream": "resilience-cli"}`: the second key tells a
  client that the endpoints httpbin lacks (`EMBEDDED_ONLY`) are here.

Faults: given `faults` (`fault_control.LiveFaults`), the app asks it, before answering
any request but `/health`, what happens to this one: it may wait, and it may answer with
a status instead (an empty body, and `x-resilience-fault` saying why). `faults.py` holds
the model.

An unknown path is a 404 and a bad parameter a 400, both with `{"error": "..."}`. Numbers
are plain ASCII decimals, finite and bounded (`params.py`). Every answer carries httpbin's
CORS headers. `tests/thirdparty/test_httpbin_compat.py` compares all this with the real
httpbin, endpoint by endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from email.utils import formatdate
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import parse_qsl

from resilience_cli.endpoints import UPSTREAM_NAME
from resilience_cli.errors import ConfigError
from resilience_cli.upstream.params import (
    BadRequestError,
    choose,
    parse_failure_rate,
    parse_retry_after,
    parse_seconds,
    parse_seed,
    parse_status_choices,
)

if TYPE_CHECKING:
    from resilience_cli.faults import Effect

Scope = MutableMapping[str, object]
"""An ASGI connection scope."""
Message = MutableMapping[str, object]
"""An ASGI event, received or sent."""
Receive = Callable[[], Awaitable[Message]]
"""The ASGI `receive` channel."""
Send = Callable[[Message], Awaitable[None]]
"""The ASGI `send` channel."""
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application."""

HTTPBIN_MAX_DELAY: Final = 10.0
"""httpbin's own cap on `/delay`."""
SEEDS_KEPT: Final = 256
"""`/unstable?seed=N` sequences the app remembers, the most recently used ones."""

_JSON: Final = b"application/json"
_TEXT: Final = b"text/plain; charset=utf-8"
_HTML: Final = b"text/html; charset=utf-8"
_REDIRECT: Final = ((b"location", b"/redirect/1"),)
_CHALLENGE: Final = b'Basic realm="Fake Realm"'
_TEAPOT: Final = (
    b"\n"
    b"    -=[ teapot ]=-\n"
    b"\n"
    b"       _...._\n"
    b"     .'  _ _ `.\n"
    b'    | ."` ^ `". _,\n'
    b'    \\_;`"---"`|//\n'
    b"      |       ;/\n"
    b"      \\_     _/\n"
    b'        `"""`\n'
)
_MEDIA_TYPES: Final = ("image/webp", "image/svg+xml", "image/jpeg", "image/png", "image/*")
# httpbin's own answers for some statuses: (headers, body, content type); an empty
# content type sends none, as httpbin's replaced headers do.
_STATUS_EXTRAS: Final[dict[int, tuple[tuple[tuple[bytes, bytes], ...], bytes, bytes]]] = {
    **dict.fromkeys((301, 302, 303, 305, 307), (_REDIRECT, b"", b"")),
    401: (((b"www-authenticate", _CHALLENGE),), b"", b""),
    402: (((b"x-more-info", b"http://vimeo.com/22053820"),), b"", b""),
    406: (
        (),
        json.dumps(
            {"message": "Client did not request a supported media type.", "accept": _MEDIA_TYPES}
        ).encode(),
        _JSON,
    ),
    407: (((b"proxy-authenticate", _CHALLENGE),), b"", b""),
    418: (((b"x-more-info", b"http://tools.ietf.org/html/rfc2324"),), _TEAPOT, b""),
}
_GET_ONLY: Final = frozenset({"GET", "HEAD"})
# RFC 9110: no content, so no Content-Length (204) or none worth sending (304).
_BODILESS: Final = frozenset({204, 304})
_FORM: Final = "application/x-www-form-urlencoded"

_Headers = list[tuple[bytes, bytes]]
# status, extra headers, body, content type
_Reply = tuple[int, _Headers, bytes, bytes]


class FaultSource(Protocol):
    """What the app asks before answering: what happens to the request arriving now."""

    def effect(self) -> Effect:
        """The effect drawn for this request."""
        ...


class ClientGoneError(ConnectionError):
    """The client went away: `receive` said `http.disconnect`, or `send` found it closed.

    One error for both channels, an `OSError` as ASGI asks of `send`: the app stops
    reading a body the client abandoned, and the server stops writing to it.
    """


class _Request:
    """What a handler needs to know about one request."""

    __slots__ = ("_headers", "method", "param", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive, param: str | None) -> None:
        self.scope = scope
        self.receive = receive
        self.param = param
        self.method = str(scope.get("method", "GET"))
        self._headers: list[tuple[str, str]] | None = None

    def query(self) -> list[tuple[str, str]]:
        """The query string's pairs, in order, blanks kept."""
        raw = self.scope.get("query_string", b"")
        if not isinstance(raw, bytes) or not raw:
            return []
        return parse_qsl(raw.decode("latin-1"), keep_blank_values=True)

    def query_value(self, name: str) -> str | None:
        """The last value of query parameter `name`, or None."""
        found = None
        for key, value in self.query():
            if key == name:
                found = value
        return found

    def headers(self) -> list[tuple[str, str]]:
        """Header (lowercase name, value) pairs as text, decoded once."""
        if self._headers is None:
            raw = self.scope.get("headers", ())
            self._headers = (
                [(bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in raw]
                if isinstance(raw, Iterable)
                else []
            )
        return self._headers

    async def body(self) -> bytes:
        """The whole request body, read with the ASGI `http.request`/`more_body` protocol."""
        chunks: list[bytes] = []
        while True:
            message = await self.receive()
            kind = message.get("type")
            if kind == "http.disconnect":
                raise ClientGoneError
            if kind != "http.request":
                continue
            chunk = message.get("body", b"")
            if isinstance(chunk, bytes | bytearray) and chunk:
                chunks.append(bytes(chunk))
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class UpstreamApp:
    """The embedded upstream: httpbin's endpoints we use, plus `/unstable` and `/retry-after`.

    Args:
        seed: Seeds the one `random.Random` behind every random choice the app makes.
        max_delay: Cap on `/delay/{seconds}`, in seconds (httpbin caps at 10).
        wall: Wall clock for HTTP-dates, so a virtual-time run dates its `Retry-After`
            in virtual time.
        faults: Consulted before answering each request but `/health`; None: no faults.
    """

    __slots__ = ("_faults", "_max_delay", "_rng", "_seeded", "_wall")

    def __init__(
        self,
        seed: int = 0,
        *,
        max_delay: float = HTTPBIN_MAX_DELAY,
        wall: Callable[[], float] = time.time,
        faults: FaultSource | None = None,
    ) -> None:
        if not (math.isfinite(max_delay) and max_delay >= 0):
            raise ConfigError("upstream.max_delay", f"must be >= 0 seconds, got {max_delay}")
        self._rng = random.Random(seed)
        self._seeded: dict[int, random.Random] = {}
        self._max_delay = max_delay
        self._wall = wall
        self._faults = faults

    @property
    def max_delay(self) -> float:
        """The cap on `/delay/{seconds}`, in seconds."""
        return self._max_delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI scope: `http` requests and the `lifespan` protocol."""
        kind = scope.get("type")
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        else:
            # The ASGI convention: refuse scope types the app does not speak.
            raise ValueError(f"unsupported ASGI scope type {kind!r}")

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "/"))
        name, slash, param = path[1:].partition("/")
        route = _ROUTES.get(name)
        request = _Request(scope, receive, param if slash else None)
        try:
            if route is None or (slash and not param) or (request.param is None) == route[0]:
                reply = _error(404, f"not found: {path}")
            elif self._faults is not None and name != "health":
                reply = await self._faulted(request, route[1])
            else:
                reply = await route[1](self, request)
        except BadRequestError as exc:
            reply = _error(400, str(exc))
        except ClientGoneError:
            return
        status, headers, body, content_type = reply
        if status not in _BODILESS:
            if content_type:
                headers.append((b"content-type", content_type))
            headers.append((b"content-length", str(len(body)).encode("ascii")))
        # httpbin's CORS headers, on every answer.
        origin = next((v for k, v in request.headers() if k == "origin"), "*")
        headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
        headers.append((b"access-control-allow-credentials", b"true"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _faulted(self, request: _Request, handler: _Handler) -> _Reply:
        """The request as the fault in force has it: delayed, answered with a status, or not."""
        effect = self._faults.effect() if self._faults is not None else None
        if effect is None or (effect.status is None and not effect.delay):
            return await handler(self, request)
        if effect.delay:
            await asyncio.sleep(effect.delay)
        if effect.status is None:
            return await handler(self, request)
        why = f"status={effect.status}" + (f",delay={effect.delay:g}s" if effect.delay else "")
        return effect.status, [(b"x-resilience-fault", why.encode("ascii"))], b"", _TEXT

    async def _get(self, request: _Request) -> _Reply:
        if request.method not in _GET_ONLY:
            return _method_not_allowed()
        return _json(200, _echo(request, ("args", "headers", "origin", "url")))

    async def _health(self, request: _Request) -> _Reply:
        if request.method not in _GET_ONLY:
            return _method_not_allowed()
        return _json(200, {"status": "ok", "upstream": UPSTREAM_NAME})

    async def _anything(self, request: _Request) -> _Reply:
        body = await request.body()
        echo = _echo(request, ("args", "headers", "origin", "url"))
        echo["method"] = request.method
        echo.update(_body_fields(request, body))
        return _json(200, echo)

    async def _delay(self, request: _Request) -> _Reply:
        seconds = parse_seconds(request.param or "", "delay")
        await asyncio.sleep(min(seconds, self._max_delay))
        body = await request.body()
        echo = _echo(request, ("args", "headers", "origin", "url"))
        echo.update(_body_fields(request, body))
        del echo["json"]  # httpbin's /delay shows the body as data and form only
        return _json(200, echo)

    async def _status(self, request: _Request) -> _Reply:
        codes, weights = parse_status_choices(request.param or "")
        code = codes[0] if len(codes) == 1 else self._rng.choices(codes, weights)[0]
        extra = _STATUS_EXTRAS.get(code)
        if extra is None:
            return code, [], b"", _HTML
        headers, body, content_type = extra
        return code, list(headers), body, content_type

    async def _unstable(self, request: _Request) -> _Reply:
        raw_rate = request.query_value("failure_rate")
        rate = 0.5 if raw_rate is None else parse_failure_rate(raw_rate)
        raw_seed = request.query_value("seed")
        rng = self._rng if raw_seed is None else self._seeded_rng(parse_seed(raw_seed))
        status = 500 if rng.random() < rate else 200
        return status, [], b"", _TEXT

    async def _retry_after(self, request: _Request) -> _Reply:
        seconds = parse_retry_after(request.param or "")
        status = choose(request.query_value("status") or "429", {"429": 429, "503": 503}, "status")
        as_date = choose(request.query_value("date") or "0", {"0": False, "1": True}, "date")
        if as_date:
            # HTTP-dates have whole seconds: round up, so a client never retries early.
            value = formatdate(math.ceil(self._wall() + seconds), usegmt=True)
        else:
            value = str(seconds)
        body = json.dumps({"status": status, "retry_after": value}).encode()
        return status, [(b"retry-after", value.encode("ascii"))], body, _JSON

    def _seeded_rng(self, seed: int) -> random.Random:
        """The seed's own rng, kept while it is among the `SEEDS_KEPT` most recently used."""
        seeded = self._seeded
        # A dict keeps insertion order: taking a seed out and putting it back makes it the
        # most recent, so the first key is always the least recently used.
        rng = seeded.pop(seed, None)
        if rng is None:
            rng = random.Random(seed)
            if len(seeded) >= SEEDS_KEPT:
                del seeded[next(iter(seeded))]
        seeded[seed] = rng
        return rng


_Handler = Callable[[UpstreamApp, _Request], Awaitable[_Reply]]

# First path segment -> (takes a `/{param}` segment, handler). `anything` takes either.
_ROUTES: Final[dict[str, tuple[bool | None, _Handler]]] = {
    "get": (False, UpstreamApp._get),  # noqa: SLF001 - the class's own private handlers
    "health": (False, UpstreamApp._health),  # noqa: SLF001 - same
    "anything": (None, UpstreamApp._anything),  # noqa: SLF001 - same
    "delay": (True, UpstreamApp._delay),  # noqa: SLF001 - same
    "status": (True, UpstreamApp._status),  # noqa: SLF001 - same
    "unstable": (False, UpstreamApp._unstable),  # noqa: SLF001 - same
    "retry-after": (True, UpstreamApp._retry_after),  # noqa: SLF001 - same
}


async def _lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge startup and shutdown: the app holds no resources."""
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _json(status: int, payload: object) -> _Reply:
    return status, [], json.dumps(payload).encode() + b"\n", _JSON


def _error(status: int, message: str) -> _Reply:
    return _json(status, {"error": message})


def _method_not_allowed() -> _Reply:
    status, headers, body, content_type = _error(405, "method not allowed")
    headers.append((b"allow", b"GET, HEAD"))
    return status, headers, body, content_type


def _echo(request: _Request, fields: tuple[str, ...]) -> dict[str, object]:
    """The request as httpbin describes it: the `fields` asked for, in that order."""
    scope = request.scope
    headers = request.headers()
    echo: dict[str, object] = {}
    for field in fields:
        if field == "args":
            echo["args"] = _multidict(request.query())
        elif field == "headers":
            echo["headers"] = _title_headers(headers)
        elif field == "origin":
            client = scope.get("client")
            echo["origin"] = str(client[0]) if isinstance(client, list | tuple) and client else ""
        elif field == "url":
            echo["url"] = _url(scope, headers)
    return echo


def _multidict(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """One value stays a string and repeats become a list, as httpbin shows `args`."""
    out: dict[str, str | list[str]] = {}
    for key, value in pairs:
        seen = out.get(key)
        if seen is None:
            out[key] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            out[key] = [seen, value]
    return out


def _title_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """`user-agent` -> `User-Agent`, repeats joined with commas, as httpbin shows them."""
    out: dict[str, str] = {}
    for name, value in headers:
        title = "-".join(part.capitalize() for part in name.split("-"))
        out[title] = f"{out[title]},{value}" if title in out else value
    return out


def _url(scope: Scope, headers: list[tuple[str, str]]) -> str:
    host = next((value for name, value in headers if name == "host"), "")
    if not host:
        server = scope.get("server")
        if isinstance(server, list | tuple) and len(server) == 2:
            host = f"{server[0]}:{server[1]}"
    raw_path = scope.get("raw_path")
    path = (
        raw_path.decode("latin-1") if isinstance(raw_path, bytes) else str(scope.get("path", "/"))
    )
    query = scope.get("query_string", b"")
    tail = "?" + query.decode("latin-1") if isinstance(query, bytes) and query else ""
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}{path}{tail}"


def _body_fields(request: _Request, body: bytes) -> dict[str, object]:
    """The `data`, `files`, `form` and `json` fields httpbin shows for a request body."""
    content_type = next((v for k, v in request.headers() if k == "content-type"), "")
    form: dict[str, str | list[str]] = {}
    data = ""
    if content_type.split(";", 1)[0].strip().lower() == _FORM:
        form = _multidict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    elif body:
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError:
            data = "data:application/octet-stream;base64," + base64.b64encode(body).decode()
    try:
        parsed: object = json.loads(data) if data else None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python can parse
        parsed = None
    return {"data": data, "files": {}, "form": form, "json": parsed}

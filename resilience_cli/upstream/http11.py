"""Small HTTP/1.1 facts the connection needs: scopes, headers, addresses, reason phrases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final
from urllib.parse import unquote, urlsplit

from resilience_cli.upstream.lifespan import ASGI_VERSION

if TYPE_CHECKING:
    from collections.abc import Iterable

    import h11

    from resilience_cli.upstream.app import Message

__all__ = [
    "NO_BODY_STATUSES",
    "address",
    "content_length",
    "plain_response",
    "reason_phrase",
    "request_scope",
    "response_headers",
]

NO_BODY_STATUSES: Final = frozenset({204, 304})


def request_scope(
    request: h11.Request,
    client: tuple[str, int] | None,
    server: tuple[str, int] | None,
    state: dict[str, object],
) -> Message:
    """The ASGI `http` scope of one parsed request."""
    target = bytes(request.target)
    if not target.startswith(b"/"):  # absolute-form, or `*` for OPTIONS
        parts = urlsplit(target)
        target = (parts.path or b"/") + (b"?" + parts.query if parts.query else b"")
    raw_path, _, query = target.partition(b"?")
    return {
        "type": "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": request.http_version.decode("ascii"),
        "method": request.method.decode("ascii"),
        "scheme": "http",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": list(request.headers),
        "client": client,
        "server": server,
        "state": dict(state),
    }


def plain_response(status: int, text: bytes) -> bytes:
    """A whole `Connection: close` text response, as bytes, for when h11 cannot write one."""
    head = (
        f"HTTP/1.1 {status} {reason_phrase(status).decode('ascii')}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(text)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + text


def content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The request's Content-Length (h11 has checked its syntax), or None."""
    for name, value in headers:
        if name == b"content-length":
            return int(value)
    return None


def response_headers(raw: object) -> list[tuple[bytes, bytes]]:
    """ASGI response headers as a fresh list of (lowercase name, value) byte pairs."""
    if not isinstance(raw, list | tuple):
        raise TypeError("ASGI headers must be a list of [name, value] pairs")
    return [(bytes(name).lower(), bytes(value)) for name, value in raw]


def address(raw: object) -> tuple[str, int] | None:
    """A socket address as ASGI wants it: (host, port), or None for non-IP sockets."""
    if isinstance(raw, tuple) and len(raw) >= 2:  # IPv4 pairs, IPv6 4-tuples
        return str(raw[0]), int(raw[1])
    return None


_REASONS: dict[int, bytes] = {}


def reason_phrase(status: int) -> bytes:
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

"""The little of HTTP/1.1 the proxy reads: a request head, and where its body ends.

The proxy forwards bytes; it parses only what it must to know where one request ends and
the next begins on a kept-alive connection (Content-Length, or chunked framing), and it
rewrites only the `Host` header, to the upstream's, as a reverse proxy does. Answers are
not parsed at all: a client sends its next request only once it has its answer (no
pipelining, as httpx and browsers do), so the bytes the upstream sends between two
requests are the answer to the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import asyncio

_CHUNK: Final = 65_536


class BadRequestError(ValueError):
    """A request head the proxy cannot read: answered 400, then the connection closes."""


@dataclass(frozen=True, slots=True)
class RequestHead:
    """A request line and its headers, as bytes, and what they say about the body."""

    method: bytes
    target: bytes
    version: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    length: int  # the body's Content-Length; 0 when there is none or it is chunked
    chunked: bool
    close: bool  # the client asked to close after this exchange (or spoke HTTP/1.0)
    upgrade: bool  # Upgrade or CONNECT: after it, the connection is a tunnel
    expects_continue: bool

    @property
    def has_body(self) -> bool:
        """Whether a body follows the head."""
        return self.chunked or self.length > 0

    def forwarded(self, host: bytes) -> bytes:
        """The head as sent to the upstream: the same, with `Host` set to `host`."""
        lines = [b" ".join((self.method, self.target, self.version))]
        lines += [
            b"Host: " + host if name.lower() == b"host" else name + b": " + value
            for name, value in self.headers
        ]
        if not any(name.lower() == b"host" for name, _ in self.headers):
            lines.append(b"Host: " + host)
        return b"\r\n".join(lines) + b"\r\n\r\n"


def parse_head(head: bytes) -> RequestHead:
    """`head` (ending in a blank line) as a `RequestHead`; BadRequestError if malformed."""
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1.") or not parts[0].isalpha():
        raise BadRequestError("malformed request line")
    method, target, version = parts
    headers: list[tuple[bytes, bytes]] = []
    length = 0
    chunked = close = upgrade = expects = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise BadRequestError("malformed header line")
        value = value.strip()
        headers.append((name, value))
        lower = name.lower()
        if lower == b"content-length":
            if not value.isdigit() or len(value) > 18:  # below 2**63
                raise BadRequestError("malformed Content-Length")
            length = int(value)
        elif lower == b"transfer-encoding":
            chunked = value.lower().endswith(b"chunked")
        elif lower == b"connection":
            close = b"close" in value.lower()
            upgrade = upgrade or b"upgrade" in value.lower()
        elif lower == b"expect":
            expects = value.lower() == b"100-continue"
    if version == b"HTTP/1.0":
        close = True
    return RequestHead(
        method,
        target,
        version,
        tuple(headers),
        0 if chunked else length,
        chunked,
        close,
        upgrade or method == b"CONNECT",
        expects,
    )


async def copy_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None, head: RequestHead
) -> None:
    """Copy the request's body to `writer` (None: read and drop it)."""
    if head.chunked:
        await _copy_chunked(reader, writer)
        return
    left = head.length
    while left:
        data = await reader.readexactly(min(left, _CHUNK))
        left -= len(data)
        if writer is not None:
            writer.write(data)
            await writer.drain()


async def _copy_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None) -> None:
    while True:
        line = await reader.readuntil(b"\r\n")
        _send(writer, line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequestError("malformed chunk size") from None
        if size == 0:
            while True:  # trailers, up to the blank line
                trailer = await reader.readuntil(b"\r\n")
                _send(writer, trailer)
                if trailer == b"\r\n":
                    return
        left = size + 2  # the chunk and its CRLF
        while left:
            data = await reader.readexactly(min(left, _CHUNK))
            left -= len(data)
            _send(writer, data)
        if writer is not None:
            await writer.drain()


def _send(writer: asyncio.StreamWriter | None, data: bytes) -> None:
    if writer is not None:
        writer.write(data)


def answer(status: int, reason: str, message: str, *, close: bool) -> bytes:
    """A whole JSON response the proxy sends itself (an injected status, a 502)."""
    body = json.dumps({"error": message, "injected_by": "resilience upstream proxy"}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nx-resilience-fault: {status}\r\n"
        f"{'connection: close' + chr(13) + chr(10) if close else ''}\r\n"
    )
    return head.encode("ascii") + body

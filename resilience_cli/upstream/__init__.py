"""The embedded upstream: an httpbin-compatible fault server, so every demo runs offline.

`UpstreamApp` is a bare ASGI app: tests and virtual-time runs call it in-process through
`httpx.ASGITransport`; `UpstreamServer` serves it (or any ASGI app) on a loopback port for
real-socket runs, within `ServerLimits`, and `serve_forever` backs `resilience upstream
serve`.

Nothing outside this package imports it at module level, so `resilience --help` never
pays for it; importing it costs only stdlib modules (h11 loads when a server starts).
"""

from resilience_cli.upstream.app import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    UpstreamApp,
)
from resilience_cli.upstream.limits import ServerLimits
from resilience_cli.upstream.server import UpstreamServer, serve_forever

__all__ = [
    "ASGIApp",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "ServerLimits",
    "UpstreamApp",
    "UpstreamServer",
    "serve_forever",
]

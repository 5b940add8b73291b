"""The reference httpbin (PyPI `httpbin`) under waitress, on a free loopback port.

Started once per session in a thread of the test process: waitress is a real WSGI
server (threads, its own HTTP parser), so the answers are those a deployed httpbin
gives. The proxy fixtures stand `resilience upstream proxy`'s engine in front of it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextlib.contextmanager
def serve_httpbin() -> Iterator[str]:
    """The base URL of a real httpbin served by waitress on 127.0.0.1, for the session."""
    # httpbin says once, on import, that it serves no Swagger UI without flasgger.
    logging.getLogger("httpbin").setLevel(logging.ERROR)
    logging.getLogger("waitress").setLevel(logging.ERROR)
    from httpbin import app  # noqa: PLC0415 - a test-only dependency, imported when used
    from waitress.server import create_server  # noqa: PLC0415

    # Threads enough for the scenarios' slow calls: timed-out attempts keep a thread
    # sleeping in /delay until it ends.
    server = create_server(app, host="127.0.0.1", port=0, threads=48, channel_timeout=30)
    thread = threading.Thread(target=server.run, name="httpbin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)

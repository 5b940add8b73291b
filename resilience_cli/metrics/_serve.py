"""`/metrics` on loopback while a run goes, and the final values in a textfile.

The server is prometheus_client's own (a WSGI server in a daemon thread), bound to
127.0.0.1 only: the metrics say nothing secret, but a class laptop should not offer a
port to the room. A port taken is an error the command reports in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from prometheus_client import start_http_server, write_to_textfile

if TYPE_CHECKING:
    import threading
    from pathlib import Path
    from wsgiref.simple_server import WSGIServer

    from prometheus_client import CollectorRegistry

LOOPBACK: Final = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class MetricsServer:
    """A running `/metrics` endpoint; `close()` stops it and frees its port."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        """The port it listens on (the one asked for, or the one given for 0)."""
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        """Where to scrape it."""
        return f"http://{LOOPBACK}:{self.port}/metrics"

    def close(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def serve_metrics(registry: CollectorRegistry, port: int) -> MetricsServer:
    """Serve `registry` at `http://127.0.0.1:PORT/metrics` (0: any free port).

    Raises:
        OSError: The port cannot be bound (taken, or not ours to take).
    """
    server, thread = start_http_server(port, addr=LOOPBACK, registry=registry)
    return MetricsServer(server, thread)


def write_metrics(registry: CollectorRegistry, path: Path) -> None:
    """Write the registry's values to `path` in node_exporter's textfile format.

    prometheus_client writes a temporary file beside it and renames it, so a collector
    never reads half a file.

    Raises:
        OSError: The file cannot be written.
    """
    write_to_textfile(str(path), registry)

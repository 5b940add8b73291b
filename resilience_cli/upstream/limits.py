"""What one client may cost the embedded server: the limits `upstream serve` documents.

Why these three: an adversarial trial held 200 connections for a minute by sending
headers a byte at a time (slowloris), took the server from 37 to 421 MB with one 100 MB
POST, and ran it out of file descriptors with idle connections. Each limit answers one
of those with a status a client can read, instead of a stall or a crash. The defaults
and ranges live in `defaults.py` with the other knobs, so that the command line reads
them without importing the server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from resilience_cli.defaults import (
    UPSTREAM_IDLE_TIMEOUT,
    UPSTREAM_IDLE_TIMEOUT_RANGE,
    UPSTREAM_MAX_BODY,
    UPSTREAM_MAX_BODY_RANGE,
    UPSTREAM_MAX_CONNECTIONS,
    UPSTREAM_MAX_CONNECTIONS_RANGE,
)
from resilience_cli.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Bounds that keep one careless or hostile client from starving the others.

    Attributes:
        max_connections: Connections served at once, or None for no cap. Past the cap a
            new connection gets `503 Service Unavailable` with `Retry-After: 1` once its
            request head arrives (it has one second to send it), and is closed; past twice
            the cap it is closed at once.
        idle_timeout: Seconds a connection may take to send a whole request head
            (counted from when it connected or got its last response), may stall inside
            a request body, or may leave its response unread. Then it is closed, with a
            `408 Request Timeout` when a request had begun and nothing was answered yet.
        max_body: Bytes of request body. A larger body gets `413 Content Too Large`
            (announced by Content-Length: before the app runs; chunked: once it passes
            the limit), and the connection is closed.
    """

    max_connections: int | None = UPSTREAM_MAX_CONNECTIONS
    idle_timeout: float = UPSTREAM_IDLE_TIMEOUT
    max_body: int = UPSTREAM_MAX_BODY

    def __post_init__(self) -> None:
        low, high = UPSTREAM_MAX_CONNECTIONS_RANGE
        if self.max_connections is not None and not low <= self.max_connections <= high:
            raise ConfigError(
                "upstream.max_connections", f"must be {low} to {high}, got {self.max_connections}"
            )
        low_s, high_s = UPSTREAM_IDLE_TIMEOUT_RANGE
        if not (math.isfinite(self.idle_timeout) and low_s <= self.idle_timeout <= high_s):
            raise ConfigError(
                "upstream.idle_timeout",
                f"must be {low_s:g} to {high_s:g} seconds, got {self.idle_timeout}",
            )
        low, high = UPSTREAM_MAX_BODY_RANGE
        if not low <= self.max_body <= high:
            raise ConfigError(
                "upstream.max_body", f"must be {low} to {high} bytes, got {self.max_body}"
            )

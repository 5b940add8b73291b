"""The endpoints only the embedded upstream serves, and the check before a scenario calls them.

httpbin has no `/unstable` (go-httpbin's), no `/retry-after` and no `/health` (ours). A
scenario that calls one of them against another target would count its 404s as
successes and pass for the wrong reason, so it is refused before any call instead, with
one line naming the endpoint (exit 2). Whether a URL is the embedded upstream (served by
`resilience upstream serve`, maybe behind the proxy) is asked once, of its `/health`; a
URL where nothing answers is not refused (its calls fail on their own, honestly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

EMBEDDED_ONLY: Final = ("/unstable", "/retry-after", "/health")
UPSTREAM_NAME: Final = "resilience-cli"  # what the embedded upstream's /health says it is


def embedded_only(path: str) -> str | None:
    """The embedded-only endpoint `path` calls (`/retry-after`), or None."""
    bare = path.split("?", 1)[0]
    for prefix in EMBEDDED_ONLY:
        if bare == prefix or bare.startswith(prefix + "/"):
            return prefix
    return None


def first_embedded_only(calls: Iterable[tuple[str, str]]) -> tuple[str, str, str] | None:
    """The first (step, path, endpoint) of `calls` that only the embedded upstream serves."""
    for step, path in calls:
        endpoint = embedded_only(path)
        if endpoint is not None:
            return step, path, endpoint
    return None


async def is_embedded_upstream(base_url: str, wait: float = 5.0) -> bool | None:
    """Whether `base_url` answers `/health` as the embedded upstream does (one GET).

    None when nothing answers: a service that is down cannot be told apart, and is not
    said to lack an endpoint; the run goes on and its calls fail as they would anyway.
    """
    import httpx  # noqa: PLC0415

    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=wait) as client:
            response = await client.get("/health")
    except httpx.HTTPError:
        return None
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("upstream") == UPSTREAM_NAME

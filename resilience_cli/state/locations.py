"""Where a breaker lives, as a user writes it: a Redis URL or a path, and a breaker's name.

Checked before anything is opened, so that a mistake is one line and exit 2, and with
nothing heavy imported: `resilience state` reads this module.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_BREAKER_NAME
from resilience_cli.redact import redact_url

if TYPE_CHECKING:
    from resilience_cli.state.redis_store import RedisStore

SCHEMES: Final = ("redis://", "rediss://")
DEFAULT_BREAKER: Final = "default"
_NAME: Final = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.\-]{{0,{MAX_BREAKER_NAME - 1}}}")
_CHOICES: Final = ("local", "fail-closed", "fail-open")


def is_redis_url(text: str) -> bool:
    """Whether `--state` (or a scenario's `state:`) names a Redis server rather than a file."""
    return text.startswith(SCHEMES)


def check_breaker_name(name: str) -> str:
    """`name` if it can name a breaker: part of a Redis key and of a JSON object's keys."""
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"--breaker {name[:80]!r} is not a breaker name: use letters, digits, _ . and -"
            f" (starting with a letter or digit), at most {MAX_BREAKER_NAME} characters"
        )
    return name


def check_redis_url(url: str) -> str:
    """`url` if redis-py can connect with it: a host (or none), a port, a database number.

    The message shows the URL with its password masked.
    """
    from urllib.parse import urlsplit  # noqa: PLC0415 - a file store never needs it

    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"--state {shown!r} is not a Redis URL: {exc}") from None
    if port == 0:
        raise UsageError(f"--state {shown!r}: the port must be 1 to 65535")
    database = parts.path.lstrip("/")
    if database and not (database.isascii() and database.isdigit()):
        raise UsageError(
            f"--state {shown!r}: the path must be a database number (redis://host:6379/0)"
        )
    return url


def check_unavailable(choice: str) -> str:
    """`--store-unavailable` if it is one of its choices (checked with any store)."""
    if choice not in _CHOICES:
        raise UsageError(f"--store-unavailable {choice[:40]!r} is not one of {', '.join(_CHOICES)}")
    return choice


def redis_store(url: str, name: str, unavailable: str) -> RedisStore:
    """The named breaker on the Redis server at `url`, checked; `unavailable` as typed."""
    from resilience_cli.state.redis_store import RedisStore, Unavailable  # noqa: PLC0415

    check_unavailable(unavailable)
    return RedisStore(
        check_redis_url(url), check_breaker_name(name), unavailable=Unavailable(unavailable)
    )

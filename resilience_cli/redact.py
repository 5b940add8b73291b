"""Secrets out of everything we show: in URLs, in headers, and from the environment.

`http://user:pw@host/?token=abc` is shown as `http://user:***@host/?token=***`. The user
name stays (it says whose account it is); the password and the values of query keys such
as `token`, `api_key` or `client_secret` go. `redact_url` takes a string meant as a URL
(a `--base-url`, a scenario's `target`), valid or not; `redact` finds the URLs inside any
text (an error message, a report line) and redacts each in place.

A header such as `Authorization`, `Cookie` or `X-Api-Key` is shown as `***` wherever a
request is described (`is_secret_header`). A value that came from `${VAR}` in a request
(`resilience_cli.request`) is remembered for the process (`remember_secret`), and `redact`
masks it wherever it appears: in an error message, a log line, a report. Values shorter
than `MIN_SECRET_LENGTH` are not searched for in free text (masking every `42` would
garble the output); they are masked where we place them ourselves.

Cheap: every output boundary calls it, so nothing printed, logged or written to a report
can carry a credential typed into a URL or taken from the environment.
"""

from __future__ import annotations

import json
import re
from typing import Final

MASK: Final = "***"
MIN_SECRET_LENGTH: Final = 4
_SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)
# The values taken from the environment in this process, and their JSON-escaped forms.
_SECRETS: set[str] = set()

# A query key is secret when one of its words (split on `_`, `-`, `.`) is one of these:
# `token`, `access_token`, `x-api-key`, `client_secret`, `sig`... but not `monkey`.
_SECRET_WORDS: Final = frozenset(
    {
        "apikey",
        "auth",
        "credential",
        "credentials",
        "key",
        "pass",
        "passwd",
        "password",
        "pwd",
        "secret",
        "sig",
        "signature",
        "token",
    }
)
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# In free text a URL ends at whitespace or at a quote or bracket that closes around it.
_URL_IN_TEXT: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]*")
_QUERY_PAIR: Final = re.compile(r"(?P<key>[^=&;#]+)=(?P<value>[^&;#]*)")


def is_secret_key(key: str) -> bool:
    """Whether a query key names a credential (`token`, `api_key`, `X-Api-Key`...)."""
    words = re.split(r"[-_.]", key.lower())
    return any(word in _SECRET_WORDS for word in words)


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a credential: `Authorization`, `Cookie`, `X-Api-Key`..."""
    lower = name.lower()
    return lower in _SECRET_HEADERS or is_secret_key(lower)


def remember_secret(value: str) -> None:
    """Mask `value` in everything `redact` sees from now on (in this process)."""
    if len(value) >= MIN_SECRET_LENGTH:
        _SECRETS.add(value)
        escaped = json.dumps(value)[1:-1]  # as it reads inside a JSON string
        if escaped != value:
            _SECRETS.add(escaped)


def forget_secrets() -> None:
    """Forget every remembered value (tests)."""
    _SECRETS.clear()


def mask_secrets(text: str) -> str:
    """`text` with every remembered value replaced by `***`, longest first."""
    if not _SECRETS:
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_url(url: str) -> str:
    """`url` with its password and its secret-looking query values replaced by `***`."""
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else 0
    authority_end = _first_of(url, "/?#", start)
    authority = url[start:authority_end]
    # The user information ends at the last `@` of the authority, as URL parsers read it.
    user_info, at, host = authority.rpartition("@")
    if at and ":" in user_info:
        user = user_info.split(":", 1)[0]
        authority = f"{user}:{MASK}@{host}"
    rest = url[authority_end:]
    query_start = rest.find("?")
    if query_start >= 0:
        fragment_start = _first_of(rest, "#", query_start)
        query = rest[query_start + 1 : fragment_start]
        rest = rest[: query_start + 1] + _redact_query(query) + rest[fragment_start:]
    return url[:start] + authority + rest


def redact(text: str) -> str:
    """`text` with every URL in it redacted (see `redact_url`), and every remembered secret."""
    text = mask_secrets(text)
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def _redact_query(query: str) -> str:
    def pair(match: re.Match[str]) -> str:
        key = match.group("key")
        return f"{key}={MASK}" if is_secret_key(key) and match.group("value") else match.group(0)

    return _QUERY_PAIR.sub(pair, query)


def _first_of(text: str, characters: str, start: int) -> int:
    """The index of the first of `characters` in `text` from `start`, or its length."""
    found = [i for i in (text.find(c, start) for c in characters) if i >= 0]
    return min(found, default=len(text))

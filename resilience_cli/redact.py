"""Secrets out of everything we show: a URL's password, and query values that look like keys.

`http://user:pw@host/?token=abc` is shown as `http://user:***@host/?token=***`. The user
name stays (it says whose account it is); the password and the values of query keys such
as `token`, `api_key` or `client_secret` go. `redact_url` takes a string meant as a URL
(a `--base-url`, a scenario's `target`), valid or not; `redact` finds the URLs inside any
text (an error message, a report line) and redacts each in place.

Pure and cheap: every output boundary calls it, so nothing printed, logged or written to
a report can carry a credential that was typed into a URL.
"""

from __future__ import annotations

import re
from typing import Final

MASK: Final = "***"

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
    """`text` with every URL in it redacted (see `redact_url`)."""
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

"""What one call sends: a `Request`, which `--mix`, `invoke`'s flags and `requests:` make.

The run draws its calls from requests (`run.RequestDraw`).

A request as written may hold `${VAR}` in its header values, query values and body (a
JSON body's strings included): `expanded` fills them in from the environment once, before
any call, and every value that came from the environment is remembered as a secret, so
that no output shows it (`resilience_cli.redact`). A variable that is not set is an
`UndefinedVariableError` naming it, never an empty value sent.

`label` names the request's row in reports: its `name`, else its path (`GET`) or
`METHOD path`. It never holds a header, a query value or a body, so it carries no secret.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from resilience_cli.redact import MASK, is_secret_header, remember_secret

if TYPE_CHECKING:
    from collections.abc import Mapping

METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
JSON_TYPE: Final = "application/json"
_VARIABLE: Final = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{[^}]*\}?)")
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field names


class UndefinedVariableError(ValueError):
    """A `${VAR}` names a variable the environment does not have."""

    def __init__(self, name: str, where: str) -> None:
        super().__init__(f"{where}: ${{{name}}} is not set in the environment")
        self.name = name


@dataclass(frozen=True, slots=True)
class Request:
    """One kind of call: method, path, query, headers, body, weight and what counts as ok.

    `body` is sent as is; `json` is JSON text, sent with `Content-Type: application/json`
    (one of them at most). `ok_status`, when set, lists the statuses that count as a
    success for this request; every other status is a failure (`failure_rule.py`).
    """

    path: str
    method: str = "GET"
    name: str = ""
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    json: str | None = None
    weight: float = 1.0
    ok_status: frozenset[int] | None = field(default=None)

    @property
    def label(self) -> str:
        """The report row: the name, else the path (`GET`) or `METHOD path`."""
        if self.name:
            return self.name
        return self.path if self.method == "GET" else f"{self.method} {self.path}"

    def content(self) -> bytes | None:
        """The body to send, encoded, or None."""
        text = self.json if self.json is not None else self.body
        return None if text is None else text.encode("utf-8")

    def send_headers(self) -> list[tuple[str, str]] | None:
        """The headers to send: the request's, and the JSON content type when it has none."""
        headers = list(self.headers)
        if self.json is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", JSON_TYPE))
        return headers or None

    def expanded(self, environ: Mapping[str, str]) -> Request:
        """This request with every `${VAR}` filled in from `environ`, each value a secret.

        Raises:
            UndefinedVariableError: A variable is not set.
            ValueError: A header is not one HTTP can carry (its words name no value).
        """
        where = f"request {self.label!r}"
        headers = tuple(
            (name, _expand(value, environ, f"{where} header {name}"))
            for name, value in self.headers
        )
        for name, value in headers:
            check_header(name, value, where)
        query = tuple(
            (key, _expand(value, environ, f"{where} query {key}")) for key, value in self.query
        )
        body = None if self.body is None else _expand(self.body, environ, f"{where} body")
        data = None if self.json is None else _expand_json(self.json, environ, f"{where} json")
        return replace(self, headers=headers, query=query, body=body, json=data)

    def described(self) -> dict[str, object]:
        """The request for the decision log: secret header values shown as `***`."""
        described: dict[str, object] = {"name": self.label, "method": self.method}
        described["path"] = self.path
        if self.headers:
            described["headers"] = {
                name: MASK if is_secret_header(name) else value for name, value in self.headers
            }
        if self.ok_status is not None:
            described["ok_status"] = sorted(self.ok_status)
        return described


def check_header(name: str, value: str, where: str) -> None:
    """Refuse a header HTTP cannot carry; the message never quotes the value."""
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"{where}: {name!r} is not a header name")
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"{where}: the value of header {name} holds a line break or NUL")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: the value of header {name} is not Latin-1 text") from None


def variables(text: str) -> list[str]:
    """The names of the `${VAR}`s in `text`, in order (for checks before a run)."""
    return [m.group(1) for m in _VARIABLE.finditer(text) if m.group(1)]


def _expand(text: str, environ: Mapping[str, str], where: str) -> str:
    """`text` with `${VAR}` replaced by its value and `$$` by `$`."""
    if "$" not in text:
        return text

    def value(match: re.Match[str]) -> str:
        whole, name = match.group(0), match.group(1)
        if whole == "$$":
            return "$"
        if name is None:
            raise ValueError(f"{where}: {whole!r} is not a variable: write ${{NAME}} or $$")
        found = environ.get(name)
        if found is None:
            raise UndefinedVariableError(name, where)
        remember_secret(found)
        return found

    return _VARIABLE.sub(value, text)


def _expand_json(text: str, environ: Mapping[str, str], where: str) -> str:
    """JSON text with `${VAR}` filled in inside its strings: a value cannot break the JSON."""
    if "$" not in text:
        return text

    def walk(node: object) -> object:
        if isinstance(node, str):
            return _expand(node, environ, where)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {walk(key): walk(item) for key, item in node.items()}
        return node

    return json.dumps(walk(json.loads(text)))

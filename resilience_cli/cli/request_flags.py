"""`invoke`'s request flags: `--method`, `--header`, `--param`, `--data`, `--data-json`.

They apply to every request of the mix, and `${VAR}` in a header value, a query value or
the body is filled in from the environment once, before any call (`Request.expanded`).
Each problem is a usage error (exit 2) naming the flag, and never quoting a value that
came from the environment.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_BODY_BYTES
from resilience_cli.request import METHODS, UndefinedVariableError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from resilience_cli.request import Request


def requests_of(
    mix: Sequence[Request],
    values: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
) -> tuple[Request, ...]:
    """The mix's requests with the flags' method, headers, query and body, expanded."""
    method = str(values.get("method") or "GET").upper()
    if method not in METHODS:
        raise UsageError(f"--method {method!r} is not one of {', '.join(METHODS)}")
    headers = tuple(_header(text) for text in _texts(values.get("header")))
    query = tuple(_param(text) for text in _texts(values.get("param")))
    body = _body(values.get("data"))
    data_json = _json(values.get("data_json"))
    if body is not None and data_json is not None:
        raise UsageError("--data and --data-json both give a body: keep one")
    environ = os.environ if environ is None else environ
    made: list[Request] = []
    for request in mix:
        shaped = replace(
            request,
            method=method,
            headers=headers,
            query=query,
            body=body,
            json=data_json,
        )
        try:
            made.append(shaped.expanded(environ))
        except UndefinedVariableError as exc:
            raise UsageError(f"{exc}: set {exc.name}, or drop it") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return tuple(made)


def _texts(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        # The value may be a secret: name the header, not the text.
        raise UsageError(f"--header {name.strip()[:40]!r}... must be 'Name: value'")
    return name.strip(), value.strip()


def _param(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise UsageError(f"--param {key[:40]!r}... must be name=value")
    return key, value


def _body(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not text.startswith("@"):
        _check_size(len(text.encode("utf-8")), "--data")
        return text
    path = Path(text[1:])
    try:
        size = path.stat().st_size
        _check_size(size, f"--data {text}")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"--data {text}: the file is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"--data {text}: cannot read it: {exc.strerror or exc}") from None


def _json(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    _check_size(len(text.encode("utf-8")), "--data-json")
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--data-json is not JSON: {exc}") from None
    return json.dumps(parsed)


def _check_size(size: int, flag: str) -> None:
    if size > MAX_BODY_BYTES:
        raise UsageError(f"{flag}: the body is {size:,} bytes; at most {MAX_BODY_BYTES:,}")

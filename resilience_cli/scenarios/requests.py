"""What a scenario's `requests:` says: named requests that `invoke` steps draw from.

Each entry is a `Request` (`resilience_cli.request`) as YAML writes it::

    requests:
      - name: create order            # the report row
        method: POST
        path: /anything/orders
        query: {source: smoke}
        headers: {Authorization: "Bearer ${API_TOKEN}"}
        json: {item: book, quantity: 1}   # or body: "text"
        weight: 3
        ok_status: [200, 201]

`${VAR}` in header values, query values and the body is filled in from the environment
when the run starts, before any call: a variable that is not set stops the run with exit
2, naming it. `resilience validate` checks the form of each `${...}` but not the
environment (a CI job may validate without its secrets).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Final, Self, TypeAlias

from pydantic import (
    Field,
    JsonValue,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from resilience_cli.failure_rule import parse_fail_on
from resilience_cli.limits import MAX_BODY_BYTES, MAX_WEIGHT
from resilience_cli.request import METHODS, Request, check_header
from resilience_cli.scenarios.fields import FrozenModel

if TYPE_CHECKING:
    from collections.abc import Mapping

_Status: TypeAlias = Annotated[StrictInt, Field(ge=100, le=599)]
_QueryValue: TypeAlias = StrictStr | StrictInt | StrictFloat
_Weight: TypeAlias = (
    Annotated[StrictInt, Field(gt=0, le=MAX_WEIGHT)]
    | Annotated[StrictFloat, Field(gt=0, le=MAX_WEIGHT)]
)


class RequestSpec(FrozenModel):
    """One entry of `requests:`."""

    name: StrictStr = Field(min_length=1, max_length=200, description="The report row.")
    method: StrictStr = Field(default="GET", description=f"One of {', '.join(METHODS)}.")
    path: StrictStr = Field(
        min_length=1, description="The path on the target, from `/`: /anything/orders."
    )
    query: dict[StrictStr, _QueryValue] = Field(
        default_factory=dict, description="Query parameters; ${VAR} expands in values."
    )
    headers: dict[StrictStr, StrictStr] = Field(
        default_factory=dict,
        description="Headers; ${VAR} expands in values, which are never shown.",
    )
    json_body: JsonValue = Field(
        default=None,
        alias="json",
        description="A JSON body (Content-Type: application/json); ${VAR} expands in strings.",
    )
    body: StrictStr | None = Field(default=None, description="A text body; ${VAR} expands.")
    weight: _Weight = Field(default=1.0, description="How often it is drawn, against the others.")
    ok_status: tuple[_Status, ...] | None = Field(
        default=None,
        min_length=1,
        description="The statuses that count as a success; every other status fails.",
    )

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value.upper() not in METHODS:
            raise ValueError(f"must be one of {', '.join(METHODS)}")
        return value.upper()

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or any(c in value for c in " \r\n\t?#"):
            raise ValueError("must start with / and hold no blank, ? or # (use query:)")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            check_header(name, "" if "${" in text else text, "headers")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if self.body is not None and "json_body" in self.model_fields_set:
            raise ValueError("give json or body, not both")
        size = len((self.body or json.dumps(self.json_body)).encode("utf-8"))
        if size > MAX_BODY_BYTES:
            raise ValueError(f"the body is {size:,} bytes; at most {MAX_BODY_BYTES:,}")
        self.request().expanded(_ANY_VALUE)  # every ${...} well formed; the values come later
        return self

    def request(self) -> Request:
        """The request as written: `${VAR}` still in it."""
        return Request(
            self.path,
            self.method,
            name=self.name,
            query=tuple((key, _text(value)) for key, value in self.query.items()),
            headers=tuple(self.headers.items()),
            body=self.body,
            json=json.dumps(self.json_body) if "json_body" in self.model_fields_set else None,
            weight=float(self.weight),
            ok_status=None if self.ok_status is None else frozenset(self.ok_status),
        )

    def expanded(self, environ: Mapping[str, str]) -> Request:
        """The request with `${VAR}` filled in; raises `UndefinedVariableError`."""
        return self.request().expanded(environ)


class _AnyValue(dict[str, str]):
    """An environment where every variable is set: the form of `${...}` is all it checks."""

    def get(self, key: str, default: object = None) -> str:
        del key, default
        return "x"


_ANY_VALUE: Final = _AnyValue()


def check_fail_on(value: str | None) -> str | None:
    """`fail_on:` as `--fail-on` takes it; its ValueError says what is wrong."""
    if value is not None:
        parse_fail_on(value)
    return value


def _text(value: str | float) -> str:
    return value if isinstance(value, str) else json.dumps(value)

"""The shape of scenario files, from the models: the JSON Schema, and the keys at a path.

`scenario_json_schema` is the JSON Schema (version 1) for editors and for `resilience
schema`; `keys_at` walks the same models for the keys a mapping may hold, for the
loader's did-you-mean hints.

Editors with a YAML language server complete and check a scenario file against it once
the file starts with `# yaml-language-server: $schema=<path or URL of the schema>`. The
schema is derived from the models rather than written by hand, so it cannot drift from
what the loader accepts; this module only adds what pydantic cannot say by itself:

- the draft, an `$id` and a title;
- that a step holds exactly one kind key (`oneOf` one `required` kind each), while every
  kind stays a plain property so editors still offer them all for completion;
- that a list of thresholds is not empty (`minItems`), where pydantic would put the
  length on the wrong alternative.

It describes the structure. What needs more than one key at a time (threshold grammar,
metrics per step kind, the ranges of the pattern settings once merged) is checked by
`resilience validate`, which says `file:line:col` for each problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pydantic import BaseModel

from resilience_cli.scenarios.model import Scenario
from resilience_cli.scenarios.steps import KINDS

if TYPE_CHECKING:
    from resilience_cli.scenarios.keypaths import Loc

SCHEMA_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID: Final = "resilience-cli/scenario/v1"


def scenario_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of a scenario file, version 1.

    Returns:
        A fresh JSON-able dict each call; keys use the file's spelling (`finally`,
        `force-open`).
    """
    schema = Scenario.model_json_schema(by_alias=True)
    definitions = schema["$defs"]
    step = definitions["Step"]
    step["oneOf"] = [{"required": [kind]} for kind in KINDS]
    expect = step["properties"]["expect"]["additionalProperties"]
    expect.pop("minLength", None)
    for choice in expect["anyOf"]:
        if choice.get("type") == "array":
            choice["minItems"] = 1
    return {
        "$schema": SCHEMA_DRAFT,
        "$id": SCHEMA_ID,
        **schema,
        "title": "resilience-cli scenario file (version 1)",
        "description": (
            "Steps that script the resilience subcommands (invoke, delay, error, state,"
            " force-open, reset, and pause), their policies, and k6-style expectations."
        ),
    }


def keys_at(loc: Loc) -> tuple[str, ...]:
    """The keys a mapping at `loc` may hold, for did-you-mean hints (empty when unknown)."""
    model: type[BaseModel] = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = next(
            (field for name, field in model.model_fields.items() if (field.alias or name) == part),
            None,
        )
        if field is None:
            continue  # a key of a plain mapping, such as a metric under expect
        inner = _model_in(field.annotation)
        if inner is None:
            return ()
        model = inner
    return tuple(field.alias or name for name, field in model.model_fields.items())


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None

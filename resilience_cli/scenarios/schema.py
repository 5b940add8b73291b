"""The JSON Schema of scenario files, version 1, for editors and for `resilience schema`.

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

from typing import Final

from resilience_cli.scenarios.model import KINDS, Scenario

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

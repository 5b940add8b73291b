"""Read a scenario file, validate it, and point every problem at `file:line:column`.

The text is composed into YAML nodes that remember where each value was written
(`yaml_nodes.py`), constructed into plain data and validated by the models. Each
validation error's `loc` (`("steps", 2, "invoke", "count")`) is walked back through the
nodes to the line and column of the offending key or value, and spelled as the key path
users read (`steps[2].invoke.count`).

Every problem is collected before anything is raised, so one `resilience validate` shows
them all: YAML syntax errors (which stop at the first, as the parser does), duplicate
keys, then both passes of `validation.py`: structural errors from pydantic, and the
problems of meaning (thresholds, metrics, pattern ranges). A file larger than
`MAX_SCENARIO_BYTES`, or of more than `MAX_STEPS` steps, is refused before any of that
work.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Final

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from resilience_cli.limits import MAX_SCENARIO_BYTES
from resilience_cli.scenarios.schema import keys_at
from resilience_cli.scenarios.validation import validate
from resilience_cli.scenarios.yaml_nodes import (
    Problem,
    ScenarioError,
    compose,
    one_line,
    problem_at,
)
from resilience_cli.settings import number_text

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pydantic_core import ErrorDetails

    from resilience_cli.scenarios.keypaths import Loc, MeaningProblem
    from resilience_cli.scenarios.model import Scenario

__all__ = ["Problem", "ScenarioError", "load_scenario", "parse_scenario"]

SUPPORTED_VERSION: Final = 1

_TOO_BIG: Final = (
    f"is larger than {MAX_SCENARIO_BYTES:,} bytes (1 MiB); a scenario file is a few KB"
)
_QUOTES: Final = ("'", '"')
_TYPE_MESSAGES: Final = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
}
_BOUNDS: Final = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def load_scenario(path: Path) -> Scenario:
    """Read and validate the scenario file at `path`.

    Args:
        path: The file, as the user named it; problems quote it as given.

    Returns:
        The scenario, valid in structure and meaning.

    Raises:
        ScenarioError: The file is missing, unreadable, not YAML, or not a valid scenario;
            `problems` lists every reason found.
    """
    source = str(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SCENARIO_BYTES + 1)  # a FIFO or /dev/zero ends here too
    except OSError as exc:
        raise ScenarioError([Problem(source, 0, 0, "", _os_message(exc, path))]) from None
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError([Problem(source, 0, 0, "", _TOO_BIG)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        message = f"is not UTF-8 text (byte {data[exc.start]:#04x})"
        raise ScenarioError([Problem(source, line, column, "", message)]) from None
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str) -> Scenario:
    """Validate a scenario given as YAML text.

    Args:
        text: The YAML.
        source: What to call it in problems: the file path as given, or `<stdin>`.

    Returns:
        The scenario, valid in structure and meaning.

    Raises:
        ScenarioError: The text is not YAML or not a valid scenario; `problems` lists
            every reason found.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SCENARIO_BYTES:
        raise ScenarioError([Problem(source, 0, 0, "", _TOO_BIG)])
    try:
        return _parse(text, source)
    except RecursionError:
        message = "nested too deeply to be a scenario"
        raise ScenarioError([Problem(source, 1, 1, "", message)]) from None


def _parse(text: str, source: str) -> Scenario:
    root, data, problems = compose(text, source)
    if root is None:
        raise ScenarioError(
            [Problem(source, 1, 1, "", "the file is empty; a scenario needs version, title, steps")]
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                *problems,
                problem_at(source, root, (), "must be a mapping with version, title and steps"),
            ]
        )
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SUPPORTED_VERSION:
        node, walked = _find(root, ("version",))
        shown = version if abs(version) < 10**6 else "of that size"
        message = f"unsupported version {shown}; this resilience-cli reads version 1"
        raise ScenarioError([problem_at(source, node, walked, message)])
    checked = validate(data)
    found = (_from_error(error, root, source) for error in checked.structure)
    problems += [problem for problem in found if problem is not None]
    problems += [_placed(problem, root, source) for problem in checked.meaning]
    if problems or checked.scenario is None:
        raise ScenarioError(_in_file_order(problems))
    return checked.scenario


# -- YAML ----------------------------------------------------------------------------------


def _find(root: Node, loc: Loc, *, at_key: bool = False) -> tuple[Node, Loc]:
    """The node a `loc` points at, and the part of `loc` that the file really holds.

    The walk stops at the deepest node that exists: the models accept shorthands
    (`pause: 30s` for `pause: {seconds: 30s}`), whose inner keys are not in the file.
    """
    node = root
    walked: list[str | int] = []
    for position, part in enumerate(loc):
        if part == 0 and not isinstance(node, SequenceNode):
            continue  # a single threshold, which the models read as a list of one
        if isinstance(node, MappingNode):
            # The last of equal keys, as PyYAML keeps (merged `<<` keys come first).
            pair = next(
                (
                    (key, value)
                    for key, value in reversed(node.value)
                    if isinstance(key, ScalarNode) and key.value == str(part)
                ),
                None,
            )
            if pair is None:
                break
            walked.append(part)
            if at_key and position == len(loc) - 1:
                return pair[0], tuple(walked)
            node = pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            walked.append(part)
            node = node.value[part]
        else:
            break
    return node, tuple(walked)


# -- problems --------------------------------------------------------------------------------


def _from_error(error: ErrorDetails, root: Node, source: str) -> Problem | None:
    loc = error["loc"]
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        node, walked = _find(root, loc, at_key=True)
        return problem_at(source, node, walked, _unknown_key(key, keys_at(loc[:-1])))
    if kind == "too_short" and _long_enough(error):
        # Pydantic counts only the items that validated; the bad ones are reported already.
        return None
    if kind == "missing":
        node, walked = _find(root, loc[:-1])
        return problem_at(source, node, (*walked, loc[-1]), "is required")
    owner = context.get("key")
    if isinstance(owner, str):  # our own errors that belong to one key of the mapping
        node, walked = _find(root, (*loc, owner), at_key=True)
        return problem_at(source, node, walked, one_line(error["msg"]))
    node, walked = _find(root, loc)
    return problem_at(source, node, walked, _message(error))


def _placed(problem: MeaningProblem, root: Node, source: str) -> Problem:
    """A problem of meaning at the line and column of the key or value it is about."""
    node, walked = _find(root, problem.loc, at_key=problem.at_key)
    offset = 0
    if (
        problem.column is not None
        and isinstance(node, ScalarNode)
        and node.style in (None, *_QUOTES)
        and node.start_mark.line == node.end_mark.line
    ):
        offset = problem.column + (1 if node.style in _QUOTES else 0)
    return problem_at(source, node, walked, one_line(problem.message), offset)


def _message(error: ErrorDetails) -> str:
    """Pydantic's message, in our words where ours are clearer."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and "error" in context:
        return one_line(str(context["error"]))
    if kind in _TYPE_MESSAGES:
        message = _TYPE_MESSAGES[kind]
        return f"{message}, not null" if error["input"] is None else message
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        return f"must be {op} {_number(context[name])}"
    if kind in {"too_short", "string_too_short", "too_long"}:
        return _length_message(kind, context)
    if kind == "literal_error":
        return f"must be {context['expected']}"
    message = error["msg"].replace("Input should be", "must be")
    return one_line(message)


def _length_message(kind: str, context: dict[str, object]) -> str:
    if kind == "too_long":
        return f"must have at most {_number(context['max_length'])} items"
    least = context.get("min_length", 1)
    return "must not be empty" if least == 1 else f"must have at least {least} items"


def _long_enough(error: ErrorDetails) -> bool:
    given = error["input"]
    least = (error.get("ctx") or {}).get("min_length", 1)
    return isinstance(given, list | tuple) and len(given) >= least


def _number(value: object) -> str:
    return number_text(value) if isinstance(value, int | float) else str(value)


def _unknown_key(key: str, allowed: Sequence[str]) -> str:
    # A stricter cutoff than difflib's 0.6 (which offers 'target' for 'tags'), and a key
    # cut short ('open' for 'open_for') is close too.
    close = (
        difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
        or [name for name in allowed if name.startswith(key) or key.startswith(name)][:1]
    )
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    if allowed:
        return f"unknown key {key!r}; expected one of {', '.join(allowed)}"
    return f"unknown key {key!r}"  # pragma: no cover - every mapping we forbid extras in is a model


def _os_message(exc: OSError, path: Path) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    # Windows cannot open a folder at all, and says "permission denied".
    if isinstance(exc, IsADirectoryError) or (isinstance(exc, PermissionError) and path.is_dir()):
        return "is a directory, not a scenario file"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied"
    return one_line(f"cannot be read: {exc.strerror or exc}")


def _in_file_order(problems: Sequence[Problem]) -> list[Problem]:
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda problem: (problem.line, problem.column))

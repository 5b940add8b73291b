"""Read a scenario file, validate it, and point every problem at `file:line:column`.

`yaml.safe_load` would lose two things we need: where each value was written, and the
fact that a key appears twice (PyYAML silently keeps the last one). So the text is first
composed into nodes with `yaml.SafeLoader` (safe tags only, never arbitrary objects),
whose start marks say where each key and value begins; the nodes are checked for
duplicate keys; then they are constructed into plain data and validated by the models.
Each validation error's `loc` (`("steps", 2, "invoke", "count")`) is walked back through
the nodes to the line and column of the offending key or value, and spelled as the key
path users read (`steps[2].invoke.count`).

Every problem is collected before anything is raised, so one `resilience validate` shows
them all: YAML syntax errors (which stop at the first, as the parser does), duplicate
keys, structural errors from pydantic, then the problems of meaning (thresholds, metrics,
pattern ranges) from `model.py`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from resilience_cli.errors import UsageError
from resilience_cli.scenarios.model import (
    STRUCTURE_ONLY,
    Issue,
    Loc,
    Scenario,
    format_loc,
    keys_at,
    partial_issues,
    scenario_issues,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pydantic_core import ErrorDetails

SUPPORTED_VERSION: Final = 1

_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
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


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario file, and where.

    `line` and `column` are 1-based; a line of 0 means the file as a whole (it is missing
    or unreadable). `key_path` is empty when the problem is not under a key (YAML syntax).
    """

    path: str
    line: int
    column: int
    key_path: str
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return f"{self.path}: {self.message}"
        where = f"{self.path}:{self.line}:{self.column}"
        return (
            f"{where} {self.key_path}: {self.message}"
            if self.key_path
            else f"{where} {self.message}"
        )


class ScenarioError(UsageError):
    """A scenario file cannot be used. `problems` holds every reason found, in file order.

    `str(error)` is one line per problem, the most important (the first in the file) first.
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


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
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(source, 0, 0, "", _os_message(exc))]) from None
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
    try:
        return _parse(text, source)
    except RecursionError:
        message = "nested too deeply to be a scenario"
        raise ScenarioError([Problem(source, 1, 1, "", message)]) from None


def _parse(text: str, source: str) -> Scenario:
    root, data, problems = _compose(text, source)
    if root is None:
        raise ScenarioError(
            [Problem(source, 1, 1, "", "the file is empty; a scenario needs version, title, steps")]
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            [*problems, _at(source, root, (), "must be a mapping with version, title and steps")]
        )
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SUPPORTED_VERSION:
        node, walked = _find(root, ("version",))
        message = f"unsupported version {version}; this resilience-cli reads version 1"
        raise ScenarioError([_at(source, node, walked, message)])
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data, context=STRUCTURE_ONLY)
    except ValidationError as exc:
        found = (_from_error(error, root, source) for error in exc.errors(include_url=False))
        problems += [problem for problem in found if problem is not None]
    issues = partial_issues(data) if scenario is None else scenario_issues(scenario)
    problems += [_from_issue(issue, root, source) for issue in issues]
    if problems or scenario is None:
        raise ScenarioError(_in_file_order(problems))
    return scenario


# -- YAML ----------------------------------------------------------------------------------


def _compose(text: str, source: str) -> tuple[Node | None, object, list[Problem]]:
    """The node tree, the data built from it, and the duplicate keys found in it."""
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses control characters at once
    except yaml.reader.ReaderError as exc:
        raise ScenarioError([_reader_problem(exc, text, source)]) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None, []
        duplicates = _duplicate_keys(root, source)
        return root, loader.construct_document(root), duplicates
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, source)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - all but the reader's carry a mark
        raise ScenarioError(
            [Problem(source, 1, 1, "", _one_line(f"invalid YAML: {exc}"))]
        ) from None
    finally:
        loader.dispose()


def _reader_problem(exc: yaml.reader.ReaderError, text: str, source: str) -> Problem:
    """A character YAML does not allow; the reader gives an offset, not a mark."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    character = exc.character
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    message = f"invalid YAML: character U+{code:04X} is not allowed"
    return Problem(source, line, column, "", message)


def _syntax_problem(exc: yaml.MarkedYAMLError, source: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "not valid YAML"
    if exc.problem and exc.context and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    line, column = (1, 1) if mark is None else (mark.line + 1, mark.column + 1)
    return Problem(source, line, column, "", _one_line(f"invalid YAML: {message}"))


def _duplicate_keys(root: Node, source: str) -> list[Problem]:
    """Every key written twice in one mapping; PyYAML would keep the last without a word."""
    problems: list[Problem] = []
    visited: set[int] = set()

    def walk(node: Node, path: Loc) -> None:
        if id(node) in visited:  # an alias: already checked where the anchor is
            return
        visited.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], ScalarNode] = {}
            for key, value in node.value:
                if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                    walk(value, path)
                    continue
                earlier = first.setdefault((key.tag, key.value), key)
                if earlier is not key:
                    message = (
                        f"duplicate key {key.value!r}: already set on line"
                        f" {earlier.start_mark.line + 1}, and YAML would keep only the last"
                    )
                    problems.append(_at(source, key, (*path, key.value), message))
                walk(value, (*path, key.value))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    walk(root, ())
    return problems


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


def _at(source: str, node: Node, loc: Loc, message: str, offset: int = 0) -> Problem:
    mark = node.start_mark
    return Problem(source, mark.line + 1, mark.column + 1 + offset, format_loc(loc), message)


def _from_error(error: ErrorDetails, root: Node, source: str) -> Problem | None:
    loc = error["loc"]
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        node, walked = _find(root, loc, at_key=True)
        return _at(source, node, walked, _unknown_key(key, keys_at(loc[:-1])))
    if kind == "too_short" and _long_enough(error):
        # Pydantic counts only the items that validated; the bad ones are reported already.
        return None
    if kind == "missing":
        node, walked = _find(root, loc[:-1])
        return _at(source, node, (*walked, loc[-1]), "is required")
    owner = context.get("key")
    if isinstance(owner, str):  # our own errors that belong to one key of the mapping
        node, walked = _find(root, (*loc, owner), at_key=True)
        return _at(source, node, walked, _one_line(error["msg"]))
    node, walked = _find(root, loc)
    return _at(source, node, walked, _message(error))


def _from_issue(issue: Issue, root: Node, source: str) -> Problem:
    node, walked = _find(root, issue.loc, at_key=issue.at_key)
    offset = 0
    if (
        issue.column is not None
        and isinstance(node, ScalarNode)
        and node.style in (None, *_QUOTES)
        and node.start_mark.line == node.end_mark.line
    ):
        offset = issue.column + (1 if node.style in _QUOTES else 0)
    return _at(source, node, walked, _one_line(issue.message), offset)


def _message(error: ErrorDetails) -> str:
    """Pydantic's message, in our words where ours are clearer."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and "error" in context:
        return _one_line(str(context["error"]))
    if kind in _TYPE_MESSAGES:
        message = _TYPE_MESSAGES[kind]
        return f"{message}, not null" if error["input"] is None else message
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        return f"must be {op} {_number(context[name])}"
    if kind in {"too_short", "string_too_short"}:
        least = context.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must have at least {least} items"
    if kind == "literal_error":
        return f"must be {context['expected']}"
    message = error["msg"].replace("Input should be", "must be")
    return _one_line(message)


def _long_enough(error: ErrorDetails) -> bool:
    given = error["input"]
    least = (error.get("ctx") or {}).get("min_length", 1)
    return isinstance(given, list | tuple) and len(given) >= least


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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


def _os_message(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a scenario file"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied"
    return _one_line(f"cannot be read: {exc.strerror or exc}")


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _in_file_order(problems: Sequence[Problem]) -> list[Problem]:
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda problem: (problem.line, problem.column))

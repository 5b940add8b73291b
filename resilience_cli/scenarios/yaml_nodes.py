"""YAML text to nodes and plain data, safely, and the problems found on the way.

`yaml.safe_load` would lose two things the loader needs: where each value was written,
and the fact that a key appears twice (PyYAML silently keeps the last one). So the text
is composed into nodes with a safe loader (safe tags only, never arbitrary objects), whose
start marks say where each key and value begins; the nodes are checked for duplicate keys
and for too many steps; then they are constructed into plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_STEPS
from resilience_cli.scenarios.keypaths import format_loc

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.scenarios.keypaths import Loc

_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_STEP_LISTS: Final = ("steps", "finally")
_LONGEST_SHOWN: Final = 40  # characters of a bad scalar quoted in a message


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


def compose(text: str, source: str) -> tuple[Node | None, object, list[Problem]]:
    """The node tree, the data built from it, and the duplicate keys found in it.

    Raises:
        ScenarioError: The text is not YAML, holds a value its tag cannot, or too many steps.
    """
    try:
        loader = _SafeLoader(text)  # its reader refuses control characters at once
    except yaml.reader.ReaderError as exc:
        raise ScenarioError([_reader_problem(exc, text, source)]) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None, []
        _check_step_counts(root, source)
        duplicates = _duplicate_keys(root, source)
        return root, loader.construct_document(root), duplicates
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, source)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - all but the reader's carry a mark
        raise ScenarioError([Problem(source, 1, 1, "", one_line(f"invalid YAML: {exc}"))]) from None
    finally:
        loader.dispose()


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, whose constructors answer a bad scalar with a marked error.

    PyYAML's own constructors let Python errors through for scalars that match a tag's
    pattern but not its meaning (`!!timestamp 2001-12-14x`, a month 13, `!!bool maybe`,
    `!!int 0x`, an integer of 5,000 digits past Python's limit): they become a YAML error
    at the value, like any other.
    """

    def construct_object(self, node: Node, deep: bool = False) -> object:
        """Construct `node`; a value its tag cannot hold is a `ConstructorError` there."""
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, LookupError, OverflowError):
            raise yaml.constructor.ConstructorError(
                problem=_unreadable(node), problem_mark=node.start_mark
            ) from None


def _unreadable(node: Node) -> str:
    tag = str(node.tag).rpartition(":")[2]
    text = str(node.value) if isinstance(node, ScalarNode) else ""
    if tag == "int" and len(text) > _LONGEST_SHOWN:
        return f"a number of {len(text):,} digits is too large"
    shown = text if len(text) <= _LONGEST_SHOWN else text[: _LONGEST_SHOWN - 3] + "..."
    return f"{shown!r} is not a valid {tag}; quote it if it is text"


def _check_step_counts(root: Node, source: str) -> None:
    """Refuse a file of too many steps before building and checking them all."""
    if not isinstance(root, MappingNode):
        return
    for key, value in root.value:
        if (
            isinstance(key, ScalarNode)
            and key.value in _STEP_LISTS
            and isinstance(value, SequenceNode)
            and len(value.value) > MAX_STEPS
        ):
            message = f"has {len(value.value):,} steps; a scenario may have at most {MAX_STEPS:,}"
            raise ScenarioError([problem_at(source, value, (key.value,), message)])


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
    return Problem(source, line, column, "", one_line(f"invalid YAML: {message}"))


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
                    problems.append(problem_at(source, key, (*path, key.value), message))
                walk(value, (*path, key.value))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    walk(root, ())
    return problems


def problem_at(source: str, node: Node, loc: Loc, message: str, offset: int = 0) -> Problem:
    """A problem at where `node` starts (`offset` columns further), under the key path `loc`."""
    mark = node.start_mark
    return Problem(source, mark.line + 1, mark.column + 1 + offset, format_loc(loc), message)


def one_line(message: str) -> str:
    """`message` with every run of whitespace, newlines too, made one space."""
    return " ".join(message.split())

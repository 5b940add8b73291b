"""Documents as trees that can say what careless and hostile files say, and their writers.

A tree is plain data (from `yaml.safe_load` or `json.loads`) with every mapping made a
`Pairs`, so that a key can be written twice and order is kept. Four stand-ins say what
plain data cannot:

- `Pairs`: a mapping that may repeat a key (or hold a merge key `<<`);
- `Plain`: a scalar written without quotes, read back as whatever YAML resolves it to
  (`1:30` is an integer in YAML 1.1, `.nan` a float);
- `Tagged`: a scalar or a sequence with an explicit tag (`!!timestamp 2001-12-14x`);
- `Raw`: text spliced in as it is (nesting too deep to build as a tree, dangling aliases).

A container that appears twice in a tree is written as an anchor and its aliases, and one
that contains itself as a recursive alias.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Final

import yaml


@dataclass(eq=False)
class Pairs:
    """A mapping as a list of [key, value] pairs: keys may repeat, order is kept."""

    pairs: list[list[object]] = field(default_factory=list)


@dataclass(frozen=True)
class Plain:
    """A scalar written without quotes: the reader decides what it is."""

    text: str


@dataclass(frozen=True)
class Tagged:
    """A scalar (`text`) or a sequence (`items`) with an explicit YAML tag."""

    tag: str
    text: str = ""
    items: tuple[object, ...] | None = None


@dataclass(frozen=True)
class Raw:
    """Text spliced into the document as it is."""

    text: str


def to_tree(value: object) -> object:
    """Plain data with every dict made `Pairs`."""
    if isinstance(value, dict):
        return Pairs([[key, to_tree(item)] for key, item in value.items()])
    if isinstance(value, list):
        return [to_tree(item) for item in value]
    return value


# -- YAML -----------------------------------------------------------------------------------------

# A `Raw` is written as this plain scalar first, then replaced by its text.
_RAW_PLACEHOLDER: Final = "zzrawzz{}zz"
_RAW_FOUND: Final = re.compile(r"zzrawzz(\d+)zz")


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, taught the stand-ins."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.raws: list[str] = []

    def ignore_aliases(self, data: object) -> bool:
        # Only containers become anchors and aliases: that is where YAML allows sharing.
        return not isinstance(data, Pairs | list)


def _represent_pairs(dumper: _Dumper, data: Pairs) -> yaml.Node:
    node = yaml.MappingNode("tag:yaml.org,2002:map", [], flow_style=None)
    # Registered before the children, so that a cycle through this mapping is an alias.
    dumper.represented_objects[dumper.alias_key] = node
    node.value = [
        (dumper.represent_data(key), dumper.represent_data(item)) for key, item in data.pairs
    ]
    return node


def _represent_plain(dumper: _Dumper, data: Plain) -> yaml.Node:
    tag = dumper.resolve(yaml.ScalarNode, data.text, (True, False))
    return yaml.ScalarNode(tag, data.text, style=None)


def _represent_tagged(dumper: _Dumper, data: Tagged) -> yaml.Node:
    if data.items is not None:
        return yaml.SequenceNode(data.tag, [dumper.represent_data(item) for item in data.items])
    return yaml.ScalarNode(data.tag, data.text, style=None)


def _represent_raw(dumper: _Dumper, data: Raw) -> yaml.Node:
    dumper.raws.append(data.text)
    placeholder = _RAW_PLACEHOLDER.format(len(dumper.raws) - 1)
    return yaml.ScalarNode("tag:yaml.org,2002:str", placeholder, style=None)


_Dumper.add_representer(Pairs, _represent_pairs)
_Dumper.add_representer(Plain, _represent_plain)
_Dumper.add_representer(Tagged, _represent_tagged)
_Dumper.add_representer(Raw, _represent_raw)


@dataclass(frozen=True)
class YamlStyle:
    """How a tree is written: block or flow, Unicode or escapes, line width."""

    flow: bool | None
    unicode: bool
    width: int


def write_yaml(tree: object, style: YamlStyle) -> bytes:
    """The tree as a YAML document, every `Raw` spliced in."""
    written: list[str] = []

    class _Stream:
        def write(self, text: str) -> None:
            written.append(text)

    dumper = _Dumper(
        _Stream(),
        default_flow_style=style.flow,
        allow_unicode=style.unicode,
        width=style.width,
        sort_keys=False,
    )
    try:
        dumper.open()
        dumper.represent(tree)
        dumper.close()
    finally:
        dumper.dispose()
    text = _RAW_FOUND.sub(lambda found: dumper.raws[int(found.group(1))], "".join(written))
    # A lone surrogate is written as the bytes it stands for: the reader must refuse them.
    return text.encode("utf-8", "surrogatepass")


# -- JSON -----------------------------------------------------------------------------------------


def write_json(tree: object, *, indent: bool) -> bytes:
    """The tree as JSON text: keys may repeat, a cycle is cut with `null`."""
    parts: list[str] = []
    on_path: set[int] = set()
    newline = "\n" if indent else ""

    def emit(value: object, depth: int) -> None:
        if isinstance(value, Pairs | list):
            if id(value) in on_path:
                parts.append("null")
                return
            on_path.add(id(value))
            is_map = isinstance(value, Pairs)
            items = value.pairs if isinstance(value, Pairs) else [[None, item] for item in value]
            parts.append("{" if is_map else "[")
            pad = "  " * (depth + 1) if indent else ""
            for position, (key, item) in enumerate(items):
                parts.append(("," if position else "") + newline + pad)
                if is_map:
                    parts.append(_scalar(key if isinstance(key, str) else str(key)) + ": ")
                emit(item, depth + 1)
            closing_pad = "  " * depth if indent and items else ""
            parts.append((newline if items else "") + closing_pad + ("}" if is_map else "]"))
            on_path.discard(id(value))
        elif isinstance(value, Raw | Plain):
            parts.append(value.text)
        elif isinstance(value, Tagged):
            parts.append(_scalar(value.text))
        else:
            parts.append(_scalar(value))

    emit(tree, 0)
    return ("".join(parts) + "\n").encode("utf-8", "surrogatepass")


def _scalar(value: object) -> str:
    # Python's json writes NaN and Infinity, which JSON lacks: the reader must refuse them.
    return json.dumps(value, ensure_ascii=False)

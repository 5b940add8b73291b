"""Damage to good files: structural mutations of their trees, and byte-level ones.

- *Structural* (`mutated_tree`): keys and values dropped, duplicated, renamed, replaced by
  wild values, their types swapped, nested deeply, moved, or made aliases of other nodes
  (cycles and merge keys included). *Gentle* damage touches only what lies below the
  top-level keys, with values of a similar kind and size: what a hurried user does.
- *Byte-level* (`mutated_bytes`): bits flipped, bytes and YAML or JSON tokens inserted,
  ranges deleted, duplicated or cut off.

`rewritten` turns a tree mutation into damaged bytes; `mixed` weighs kinds of damage.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from documents import Pairs, Tagged
from hypothesis import strategies as st
from values import EDGE_INTEGERS, keys

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# -- places in a tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A place in a tree: `container[index]`, or the key or value of pair `index`."""

    container: list[object] | Pairs
    index: int
    key: bool = False

    def get(self) -> object:
        """What is there."""
        if isinstance(self.container, Pairs):
            return self.container.pairs[self.index][0 if self.key else 1]
        return self.container[self.index]

    def set(self, value: object) -> None:
        """Put `value` there."""
        if isinstance(self.container, Pairs):
            self.container.pairs[self.index][0 if self.key else 1] = value
        else:
            self.container[self.index] = value

    def drop(self) -> None:
        """Remove the item, or the whole pair."""
        if isinstance(self.container, Pairs):
            del self.container.pairs[self.index]
        else:
            del self.container[self.index]

    def duplicate(self, value: object) -> None:
        """Insert `value` after this item; in a mapping, a pair with the same key."""
        if isinstance(self.container, Pairs):
            key, item = self.container.pairs[self.index]
            pair = [value, item] if self.key else [key, value]
            self.container.pairs.insert(self.index + 1, pair)
        else:
            self.container.insert(self.index + 1, value)


def slots(root: list[object]) -> list[Slot]:
    """Every place in the tree that `root` (a list of one) holds; each container once."""
    found: list[Slot] = []
    seen: set[int] = set()

    def walk(container: list[object] | Pairs) -> None:
        if id(container) in seen:
            return
        seen.add(id(container))
        if isinstance(container, Pairs):
            for index, (key, item) in enumerate(container.pairs):
                found.extend((Slot(container, index, key=True), Slot(container, index)))
                for child in (key, item):
                    if isinstance(child, Pairs | list):
                        walk(child)
        else:
            for index, item in enumerate(container):
                found.append(Slot(container, index))
                if isinstance(item, Pairs | list):
                    walk(item)

    walk(root)
    return found


def _containers(root: list[object]) -> Iterator[Pairs | list[object]]:
    for slot in slots(root):
        value = slot.get()
        if isinstance(value, Pairs | list):
            yield value


def corpus_of(trees: list[object]) -> list[object]:
    """Every subtree of `trees`, to be transplanted elsewhere."""
    found: list[object] = []
    for tree in trees:
        found += [copy.deepcopy(slot.get()) for slot in slots([tree])]
    return found


def _index(draw: st.DrawFn, items: list[Slot] | list[Pairs | list[object]]) -> int:
    return draw(st.integers(min_value=0, max_value=len(items) - 1))


# -- structural damage ----------------------------------------------------------------------------

WILD_OPERATIONS: Final = (
    "drop",
    "duplicate",
    "rename",
    "replace",
    "replace",
    "swap",
    "nest",
    "move",
)
ALIAS_OPERATIONS: Final = ("alias", "cycle", "merge")
# Hypothesis tries the first choice first, and shrinks towards it.
GENTLE_OPERATIONS: Final = ("nearby", "nearby", "nearby", "replace", "drop", "duplicate", "rename")
_MERGE: Final = Tagged("tag:yaml.org,2002:merge", "<<")


@st.composite
def mutated_tree(
    draw: st.DrawFn,
    tree: object,
    values: st.SearchStrategy[object],
    *,
    aliases: bool = False,
    gentle: bool = False,
    most: int = 5,
) -> object:
    """A copy of `tree` after one to `most` structural mutations.

    `aliases` adds anchors and aliases, cycles and merge keys (YAML only). `gentle`
    touches what lies below the top-level keys, renames keys only to known keys, and
    never swaps types or nests.
    """
    root: list[object] = [copy.deepcopy(tree)]
    operations = GENTLE_OPERATIONS if gentle else WILD_OPERATIONS
    operations += ALIAS_OPERATIONS if aliases and not gentle else ()
    names = keys(known_only=gentle)
    for _ in range(draw(st.integers(min_value=1, max_value=most))):
        if not root:  # the whole document was dropped
            root.append(draw(values))
            continue
        operation = draw(st.sampled_from(operations))
        places = slots(root)
        if gentle:
            places = _gently(places, root, change_a_leaf=operation in {"nearby", "replace"})
        if not places:
            break
        _apply(draw, operation, places[_index(draw, places)], root, values, names)
    return root[0] if root else None


def _gently(places: list[Slot], root: list[object], *, change_a_leaf: bool) -> list[Slot]:
    """The places a gentle mutation may touch: below the top-level keys; leaves to change."""
    top = {id(root), id(root[0])}
    return [
        place
        for place in places
        if not place.key
        and id(place.container) not in top
        and not (change_a_leaf and isinstance(place.get(), Pairs | list))
    ]


def _apply(  # noqa: C901, PLR0912 - one branch per operation reads best
    draw: st.DrawFn,
    operation: str,
    place: Slot,
    root: list[object],
    values: st.SearchStrategy[object],
    names: st.SearchStrategy[object],
) -> None:
    if operation == "drop":
        place.drop()
    elif operation == "duplicate":
        place.duplicate(place.get() if draw(st.booleans()) else draw(values))
    elif operation == "rename" and isinstance(place.container, Pairs):
        Slot(place.container, place.index, key=True).set(draw(names))
    elif operation in {"replace", "rename"}:
        place.set(draw(values))
    elif operation == "nearby":
        place.set(_nearby(draw, place.get(), values))
    elif operation == "swap":
        place.set(_swapped(place.get()))
    elif operation == "nest":
        value = place.get()
        for _ in range(draw(st.integers(min_value=1, max_value=30))):
            value = [value] if draw(st.booleans()) else Pairs([["a", value]])
        place.set(value)
    elif operation == "move":
        everywhere = slots(root)
        other = everywhere[_index(draw, everywhere)]
        mine, theirs = place.get(), other.get()
        place.set(theirs)
        other.set(mine)
    else:
        targets = list(_containers(root))
        if not targets:
            return
        target = targets[_index(draw, targets)]
        inner = place.get()
        if operation == "alias":
            place.set(target)
        elif operation == "cycle" and isinstance(inner, Pairs):
            inner.pairs.append(["again", inner])
        elif operation == "cycle" and isinstance(inner, list):
            inner.append(inner)
        elif operation == "merge" and isinstance(place.container, Pairs):  # `<<: *anchor`
            merged = draw(st.one_of(st.just(target), values))
            place.container.pairs.insert(place.index, [_MERGE, merged])


def _nearby(draw: st.DrawFn, value: object, values: st.SearchStrategy[object]) -> object:
    """A value of the same kind and of a similar size: `5s` becomes `12s`, 20 becomes 3."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int) and draw(st.integers(min_value=0, max_value=7)) == 0:
        return draw(st.sampled_from(EDGE_INTEGERS))
    if isinstance(value, int):
        return draw(st.integers(min_value=0, max_value=max(2 * value, 10)))
    if isinstance(value, float):
        return round(draw(st.floats(min_value=0, max_value=max(2 * value, 1.0))), 3)
    if isinstance(value, str) and re.search(r"\d", value):
        small = st.integers(min_value=0, max_value=100).map(str)
        number = draw(st.one_of(small, st.sampled_from(["0.5", "1.5"])))
        return re.sub(r"\d+(\.\d+)?", number, value, count=1)
    return draw(values)


def _swapped(value: object) -> object:
    """The value as another type: a list of it, its text, a mapping, and so on."""
    if isinstance(value, Pairs):
        return [item for _, item in value.pairs]
    if isinstance(value, list):
        return Pairs([[str(index), item] for index, item in enumerate(value)])
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    return Pairs([["value", value]])


# -- byte-level damage ----------------------------------------------------------------------------

# fmt: off
TOKENS: Final = (
    b"\n", b"\r\n", b"\r", b"\t", b" ", b"\x00", b"\xef\xbb\xbf", b"\xff", b"\xc3",
    b"\xed\xa0\x80", b": ", b"- ", b"? ", b"{", b"}", b"[", b"]", b",", b"'", b'"', b"#",
    b"&a ", b"*a", b"<<: ", b"!!python/object:os.system ", b"!!binary ", b"!!timestamp ",
    b"!x ", b"---\n", b"...\n", b"%YAML 1.1\n", b"|", b">", b"\\", b"\\u", b"9" * 400,
    b"1e400", b".nan", b"-", b"null", b"true", b"\xe2\x80\xae", b"\x1b[2J", b"NaN",
    b"Infinity",
)
# fmt: on
BYTE_OPERATIONS: Final = ("flip", "set", "insert", "token", "delete", "copy", "cut")


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` after one to eight byte-level mutations."""
    buffer = bytearray(data)
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        size = len(buffer)
        at = draw(st.integers(min_value=0, max_value=size))
        operation = draw(st.sampled_from(BYTE_OPERATIONS))
        if operation == "flip" and at < size:
            buffer[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif operation == "set" and at < size:
            buffer[at] = draw(st.integers(min_value=0, max_value=255))
        elif operation == "insert":
            buffer[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif operation == "token":
            buffer[at:at] = draw(st.sampled_from(TOKENS))
        elif operation in {"delete", "copy"}:
            end = draw(st.integers(min_value=at, max_value=min(size, at + 64)))
            chunk = bytes(buffer[at:end])
            if operation == "delete":
                del buffer[at:end]
            else:
                where = draw(st.integers(min_value=0, max_value=len(buffer)))
                buffer[where:where] = chunk * draw(st.integers(min_value=1, max_value=3))
        elif operation == "cut":
            del buffer[at:]
    return bytes(buffer)


# -- putting damage together ----------------------------------------------------------------------


def rewritten(
    trees: list[object],
    mutate: Callable[[object], st.SearchStrategy[object]],
    writer: Callable[[st.DrawFn, object], bytes],
) -> st.SearchStrategy[bytes]:
    """One of `trees`, damaged by `mutate`, then written out by `writer`."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        return writer(draw, draw(mutate(draw(st.sampled_from(trees)))))

    return build()


def mixed(*shares: tuple[int, st.SearchStrategy[bytes]]) -> st.SearchStrategy[bytes]:
    """One of the strategies, each drawn in proportion to its share.

    Hypothesis shrinks a choice towards 0, so the first strategy is the simplest one.
    """
    picks = [strategy for share, strategy in shares for _ in range(share)]

    @st.composite
    def pick(draw: st.DrawFn) -> bytes:
        return draw(picks[draw(st.integers(min_value=0, max_value=len(picks) - 1))])

    return pick()

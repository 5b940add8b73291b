"""Public names of a package that load on first use (PEP 562).

`resilience state` needs only the breaker and one panel: a package that imported every
module behind its names would make it pay for asyncio, the pipeline and the run summary.
A package lists where each name lives and hands the lookup to `lazy_exports`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping


def lazy_exports(
    package: str, homes: Mapping[str, str], namespace: MutableMapping[str, object]
) -> Callable[[str], object]:
    """A module `__getattr__` that imports `name` from `homes[name]` once, then caches it."""

    def load(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    return load

"""The layers import one way: cli -> scenarios -> run/client -> state -> patterns, and time.

Imports are read from the source (type-only and function-level imports included), so a
layer cannot lean on a higher one even lazily.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "resilience_cli"

# A layer (a package, or a module at the top) and what it must never import.
NEVER: dict[str, set[str]] = {
    "patterns": {"cli", "scenarios", "run", "client", "state", "reporting", "export", "upstream"},
    "state": {"cli", "scenarios", "run", "client", "reporting", "export", "upstream"},
    "run": {"cli", "scenarios"},
    "client": {"cli", "scenarios", "run"},
    "scenarios": {"cli"},
    "clock": {"virtual_time", "event_loops"},
    "virtual_time": {"clock", "event_loops"},
}


def layer_of(path: Path) -> str:
    """`patterns` for resilience_cli/patterns/breaker/_machine.py, `clock` for clock.py."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it: `resilience_cli.state.memento`, `asyncio`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def our_layers(names: set[str]) -> set[str]:
    return {
        name.split(".")[1] for name in names if name.startswith("resilience_cli.") and "." in name
    }


@pytest.mark.parametrize("layer", sorted(NEVER))
def test_a_layer_imports_nothing_above_it(layer):
    """No module of the layer imports, even for types or lazily, a layer it must not know."""
    offending = {
        f"{path.relative_to(PACKAGE.parent)} imports {sorted(forbidden)}"
        for path in PACKAGE.rglob("*.py")
        if layer_of(path) == layer and (forbidden := our_layers(imported(path)) & NEVER[layer])
    }
    assert not offending


def test_the_clock_answers_the_time_without_asyncio():
    """clock.py imports no asyncio, and importing it loads none: `state` never pays for it."""
    assert not {name for name in imported(PACKAGE / "clock.py") if name.startswith("asyncio")}
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, resilience_cli.clock; print('asyncio' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"


def test_the_map_of_layers_names_real_ones():
    """Every layer named above exists, so a rename cannot quietly switch a rule off."""
    present = {layer_of(path) for path in PACKAGE.rglob("*.py")}
    named = set(NEVER) | set().union(*NEVER.values())
    assert named <= present

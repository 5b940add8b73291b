"""The layers import one way: what each package may not import, read from the source.

cli -> scenarios -> run/client -> state -> patterns, with measure and reporting beside
them: scenarios judge and never import reporting; measure holds numbers only, with no
Rich and no httpx; reporting renders and may read the scenario report types. Time is an
interface: the clock answers the time and imports no asyncio. Imports are read from the
source (type-only and function-level imports included), so a layer cannot lean on a
higher one even lazily.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "resilience_cli"

# Each layer, and the modules it may not import: at run time, under TYPE_CHECKING, or
# inside a function alike.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "resilience_cli.patterns": (
        "rich",
        "httpx",
        "resilience_cli.measure",
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.run",
        "resilience_cli.client",
        "resilience_cli.state",
        "resilience_cli.upstream",
        "resilience_cli.export",
        "resilience_cli.cli",
    ),
    "resilience_cli.state": (
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.run",
        "resilience_cli.client",
        "resilience_cli.upstream",
        "resilience_cli.export",
        "resilience_cli.cli",
    ),
    "resilience_cli.measure": (
        "rich",
        "httpx",
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.run",
        "resilience_cli.stress",
        "resilience_cli.client",
        "resilience_cli.cli",
        "resilience_cli.export",
    ),
    "resilience_cli.client": (
        "resilience_cli.scenarios",
        "resilience_cli.run",
        "resilience_cli.cli",
    ),
    "resilience_cli.run": (
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.cli",
    ),
    # Stress runs calls as `run` does, beside it: scenarios and the command line use it.
    "resilience_cli.stress": (
        "rich",
        "prometheus_client",
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.cli",
        "resilience_cli.export",
    ),
    # The fault model is pure data: the upstream and a proxy consult it, it knows neither.
    "resilience_cli.faults": (
        "asyncio",
        "httpx",
        "rich",
        "resilience_cli.upstream",
        "resilience_cli.client",
        "resilience_cli.run",
        "resilience_cli.stress",
        "resilience_cli.cli",
    ),
    "resilience_cli.scenarios": (
        "prometheus_client",
        "resilience_cli.reporting",
        "resilience_cli.cli",
        "resilience_cli.export",
    ),
    "resilience_cli.reporting": (
        "resilience_cli.cli",
        "resilience_cli.run",
        "resilience_cli.stress",
    ),
    # Metrics read the patterns and count outcomes; the commands wire them to a run.
    "resilience_cli.metrics": (
        "rich",
        "httpx",
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.run",
        "resilience_cli.stress",
        "resilience_cli.client",
        "resilience_cli.upstream",
        "resilience_cli.cli",
        "resilience_cli.export",
    ),
    # Compare: presets replayed against a trace; numbers only, rendered by reporting.
    "resilience_cli.compare": (
        "rich",
        "httpx",
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.run",
        "resilience_cli.client",
        "resilience_cli.cli",
        "resilience_cli.export",
        "resilience_cli.upstream",
        "resilience_cli.state",
    ),
    # Traces: recorded, read and replayed without HTTP, Rich or a command.
    "resilience_cli.trace": (
        "rich",
        "httpx",
        "resilience_cli.reporting",
        "resilience_cli.scenarios",
        "resilience_cli.run",
        "resilience_cli.client",
        "resilience_cli.cli",
        "resilience_cli.export",
        "resilience_cli.upstream",
        "resilience_cli.state",
    ),
    # Time: the clock answers the time and knows no event loop; the virtual clock's loop
    # lives apart, and `event_loops` alone picks a loop for a clock.
    "resilience_cli.clock": (
        "asyncio",
        "resilience_cli.virtual_time",
        "resilience_cli.event_loops",
    ),
    "resilience_cli.virtual_time": ("resilience_cli.clock", "resilience_cli.event_loops"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, with its line: absolute names, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.append((node.lineno, base))
            # `from resilience_cli import reporting` names the package in the alias
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def within(name: str, layer: str) -> bool:
    return name == layer or name.startswith(layer + ".")


def layer_files(layer: str) -> list[Path]:
    relative = Path(*layer.split(".")[1:])
    as_module = (PACKAGE / relative).with_suffix(".py")
    return [as_module] if as_module.exists() else sorted((PACKAGE / relative).rglob("*.py"))


def violations(layer: str) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in layer_files(layer)
        for line, name in imported(path)
        if any(within(name, forbidden) for forbidden in FORBIDDEN[layer])
    ]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_it_may_not(layer):
    """No module of the layer imports, even for types only, what the layer may not import."""
    assert layer_files(layer)
    assert violations(layer) == []


def test_the_import_reader_sees_every_form_of_import(tmp_path, monkeypatch):
    """Plain, from, relative and function-level imports are all seen, so the check can fail."""
    package = tmp_path / "resilience_cli" / "measure"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text(
        "import rich.text\n"
        "from ..reporting import render\n"
        "from resilience_cli import scenarios\n"
        "def late():\n"
        "    from httpx import Client\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "resilience_cli")
    assert violations("resilience_cli.measure") == [
        "resilience_cli/measure/bad.py:1 imports rich.text",
        "resilience_cli/measure/bad.py:2 imports resilience_cli.reporting",
        "resilience_cli/measure/bad.py:2 imports resilience_cli.reporting.render",
        "resilience_cli/measure/bad.py:3 imports resilience_cli.scenarios",
        "resilience_cli/measure/bad.py:5 imports httpx",
        "resilience_cli/measure/bad.py:5 imports httpx.Client",
    ]


def test_importing_measure_loads_neither_rich_nor_httpx():
    """What `measure` pulls in through the layers below it is free of Rich and httpx too."""
    probe = (
        "import sys\n"
        "import resilience_cli.measure\n"
        "print('LOADED', sorted(m for m in ('rich', 'httpx', 'resilience_cli.reporting')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert "LOADED []" in done.stdout, done.stdout + done.stderr


def test_the_clock_answers_the_time_without_asyncio():
    """Importing clock.py loads no asyncio: `state` never pays for an event loop."""
    probe = "import sys, resilience_cli.clock; print('asyncio' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "False"


def test_the_map_of_layers_names_real_ones():
    """Every layer named above exists, so a rename cannot quietly switch a rule off."""
    for layer in FORBIDDEN:
        assert layer_files(layer), layer

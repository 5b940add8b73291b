"""Every benchmark still loads against today's package: a rename cannot break one unseen.

The benchmarks run on a quiet machine, not in the suite (`make bench`); loading each one
here catches what a change to the package would break in them.
"""

import importlib.util
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "benchmarks"
BENCHMARKS = sorted(FOLDER.glob("bench_*.py"))


def test_there_are_benchmarks():
    """The glob finds the benchmarks, so the test below is not vacuous."""
    assert len(BENCHMARKS) >= 8


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda path: path.stem)
def test_a_benchmark_loads(path, monkeypatch):
    """Importing a benchmark runs nothing (it has a main guard) and finds every name it uses."""
    assert 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
    monkeypatch.syspath_prepend(str(FOLDER))  # their shared helpers sit beside them
    spec = importlib.util.spec_from_file_location(f"benchmark_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "main", None))

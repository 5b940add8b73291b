# One command, the same on a laptop and in CI: `make check`.
# It builds .venv itself when it is missing, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: check test lint format types unit bench demo clean

check: lint types unit

test: check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

# Every benchmark runs, one after the other; the target fails if any of them says that a
# budget was missed. Run it on a quiet machine: never beside the tests.
bench: $(STAMP)
	cd benchmarks && status=0; \
	for name in pipeline_overhead throughput timeout startup tour embedded proxy redis_store compare stress stress_ceiling; do \
		../$(BIN)/python bench_$$name.py || status=1; \
	done; \
	exit $$status

# The classroom tour, in real time, on the embedded upstream: no network needed.
demo: $(STAMP)
	$(BIN)/resilience run tour

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov

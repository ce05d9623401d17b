# Two entry points that work on a fresh machine with Python 3.11+:
#   make demo   runs the main job on the bundled sample data
#   make test   runs ruff, mypy and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== infer a schema from the raw batches (dry run: schemas/penguins/1.yaml is the released one)"
	$(BIN)/datalife schema infer sample_data/2007.csv sample_data/2008.csv sample_data/2009.csv --name penguins --dry-run > /dev/null
	@echo "== validate the raw batches against the dataset's schema"
	$(BIN)/datalife validate sample_data/2007.csv sample_data/2008.csv sample_data/2009.csv

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

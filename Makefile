# Two entry points that work on a fresh machine with Python 3.11+:
#   make demo   runs the main job on the bundled sample data, in a git-ignored copy (build/demo)
#   make test   runs ruff, mypy and the whole test suite; it installs nothing system-wide
#               (the report's browser test is skipped without Chromium: `make browser`)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the demo works in a copy of the sample workspace, so the checkout stays clean (build/ is
# git-ignored); it is made afresh each time, so the demo always shows a whole run
DEMO := build/demo

.PHONY: demo test lint typecheck pytest bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@cp -R datalife.toml sample_data schemas $(DEMO)/
	@echo "== the demo works in $(DEMO), a git-ignored copy of this workspace: your checkout stays as it was"
	@echo "== datalife run: validate the raw penguin batches, derive features, split, fit on train, write Parquet"
	$(BIN)/datalife -C $(DEMO) run
	@echo "== where did splits/train.parquet come from?"
	$(BIN)/datalife -C $(DEMO) lineage provenance splits/train.parquet
	@echo "== outputs in $(DEMO)/splits/, the lineage log in $(DEMO)/lineage/ (removed by the next demo)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The report's end-to-end test renders it in headless Chromium from Debian's package. Only
# this target installs it (system-wide, as root, with apt-get); `make test` never does, and
# skips that test without it.
browser:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium is installed: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium package system-wide (apt-get update; apt-get install -y chromium)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  && echo "installed $$(command -v chromium)"; \
	else echo "make browser: chromium is missing; as root run \`apt-get install -y chromium\` (Debian/Ubuntu)" >&2; exit 1; fi

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

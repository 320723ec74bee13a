# factdyn: the two commands of the README, plus helpers.
#   make reproduce   -> fresh venv, every figure at the CPU preset
#   make figures     -> every figure from the committed results store, no training
#   make test        -> fresh venv, sync checks, notebook examples, pytest
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PRESET  ?= cpu
WORKERS ?= 2
STAMP   := $(VENV)/.installed

.PHONY: install reproduce figures test sync nbtest pytest site bench gpu-check clean-runs

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

reproduce: install
	$(BIN)/factdyn reproduce --preset $(PRESET) --workers $(WORKERS)

## Every figure from the committed results (results/), without training.
figures: install
	$(BIN)/factdyn figures --preset $(PRESET) -q

## Notebooks and library in sync: nbdev_clean / nbdev_export must leave no diff.
sync: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbdev_clean
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbdev_export
	git diff --exit-code -- nbs factdyn || (echo "nbdev_clean/nbdev_export changed files: run them and commit"; exit 1)

## Templates executed at their defaults write to fresh temporary folders: give them one that is removed afterwards.
nbtest: install
	d=$$(mktemp -d) && TMPDIR=$$d PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbdev_test --n_workers 2 --timing; s=$$?; rm -rf $$d; exit $$s

pytest: install
	$(BIN)/python -m pytest tests

test: sync nbtest pytest

site:
	@if command -v quarto >/dev/null 2>&1; then quarto render; \
	else echo "quarto is not installed: get it from https://quarto.org/docs/get-started/ and re-run 'make site'."; \
	     echo "The static site checks run in 'make test' (tests/test_site.py)."; exit 1; fi

bench: install
	$(BIN)/python benchmarks/run.py

clean-runs:
	rm -rf runs

gpu-check: install
	$(BIN)/python benchmarks/gpu_check.py

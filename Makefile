# Two commands matter: `make run` and `make test`. Both create .venv on first use.
# Another interpreter gets its own venv: `make test PYTHON=python3.13 VENV=.venv313`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test demo screenshots bench clean

$(BIN)/lkdebug: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-extras: $(BIN)/lkdebug
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/lkdebug
	$(BIN)/lkdebug

demo: $(BIN)/lkdebug
	$(BIN)/lkdebug demo

# Two workers per core: much of the suite waits (probe timeouts, servers starting, the browser), so on the
# quiet 2-core machine 4 workers took 92-115 s against 164 s for 2 (6: 106 s); 79-84 s since the suite's waits went. worksteal: the few long TUI
# and browser tests do not queue behind each other, and tests/conftest.py starts the longest ones first.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
# Bytecode is written (to the ignored __pycache__ folders) even where PYTHONDONTWRITEBYTECODE is set, as in
# many container images: without it every worker rewrote and compiled the 70-odd test modules at collection,
# and each of the suite's `python -m lkdebug` children compiled lkdebug from source (a third of their CPU).
test: $(VENV)/.test-extras
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal

screenshots: $(VENV)/.test-extras
	$(BIN)/python -m lkdebug.tui.screenshots screenshots

bench: $(VENV)/.test-extras
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .venv313 build *.egg-info .pytest_cache .hypothesis

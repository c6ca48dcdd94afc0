# Qinqing — two commands matter: `make demo` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test test-browser lint typecheck install lock clean bench

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## Prepare the SQLite database under var/ with demo data and serve http://127.0.0.1:$(PORT)
demo: $(STAMP)
	QINQING_DEMO=1 $(BIN)/qinqing demo --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check --exclude "**/migrations/**" src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

## ruff, mypy and the whole suite on SQLite (PostgreSQL/Redis-only and browser tests run in .ci/run)
test: lint typecheck
	$(BIN)/pytest -n 2 -m "not browser and not postgres and not redis" -p no:cacheprovider $(PYTEST_ARGS)

test-browser: $(STAMP)
	$(BIN)/pytest -m browser -p no:cacheprovider $(PYTEST_ARGS)

## Re-resolve the pinned versions (constraints.txt) from pyproject.toml
lock:
	rm -rf /tmp/qinqing-lock && $(PYTHON) -m venv /tmp/qinqing-lock
	/tmp/qinqing-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/qinqing-lock/bin/pip freeze --exclude-editable | grep -v '^qinqing' > constraints.txt

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var/*.sqlite3* .mypy_cache .ruff_cache

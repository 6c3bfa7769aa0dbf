# Tamna's two commands: `make demo` and `make test`. Both set up .venv on a fresh machine first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

WEB_STAMP := web/node_modules/.installed

.PHONY: setup native demo serve test lint typecheck unit services browser bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# The dashboard's map library comes from the npm registry, pinned by web/package-lock.json.
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Signal control's hot path compiled with mypyc (src/tamna/native.py): rebuilt when a source changed, a no-op
# otherwise. A failed build (no C compiler, say) leaves the pure-Python modules running: the demo still starts,
# and `make test` then fails on the test that checks the compiled modules are in use.
native: $(STAMP)
	@TAMNA_NATIVE=0 $(BIN)/python -m tamna.native_build || echo "native: not built, signal control runs interpreted"

setup: $(STAMP) $(WEB_STAMP) native

demo: setup
	$(BIN)/tamna demo

serve: setup
	$(BIN)/tamna serve

services:
	@scripts/services.sh

browser:
	@scripts/browser.sh

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

unit: setup services browser
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules src tests

test: lint typecheck unit

bench: setup services
	$(BIN)/python benchmarks/run_all.py

clean:
	-@test -x $(BIN)/python && TAMNA_NATIVE=0 $(BIN)/python -m tamna.native_build clean
	rm -rf $(VENV) var .mypy_cache .ruff_cache web/node_modules

# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Both set everything up themselves on a fresh machine with only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint typecheck bench services clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	touch $(STAMP)

install: $(STAMP)

services:
	bash scripts/ensure-services.sh

demo: install
	$(BIN)/yibao demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/yibao/engine src/yibao/money.py

test: install services lint
	$(BIN)/pytest -q -n 2 --dist loadgroup

bench: install
	$(BIN)/python -m pip install -q -e '.[bench]'
	# wrk (Debian package) loads the API; without it bench/api_latency.py falls back to httpx.
	command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 || true
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var out

# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Both set everything up themselves on a fresh machine with only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Exact versions with sha256 hashes (Python 3.11, Linux x86_64) of the dependencies and the extras
# dev and spark; the bench lock adds the bench extra with the same versions. `make lock` writes both
# from pyproject.toml; the project itself is not in them (installed editable, --no-deps, after).
LOCK := requirements/lock.txt
BENCH_LOCK := requirements/lock-bench.txt
# The locking tool, in a throwaway venv for `make lock` only. LOCK_FLAGS=--upgrade takes the newest
# versions pyproject.toml allows (without it, versions already in the lock are kept where they fit).
LOCK_TOOL ?= uv==0.13.9
LOCK_FLAGS ?=
COMPILE = uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command 'make lock' $(LOCK_FLAGS)

.PHONY: install lock demo test lint typecheck bench services fonts clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Refresh the locks after changing pyproject.toml's dependencies (then commit requirements/).
lock:
	set -e; tool=$$(mktemp -d); trap 'rm -rf "$$tool"' EXIT; \
	$(PYTHON) -m venv "$$tool"; "$$tool/bin/python" -m pip install -q '$(LOCK_TOOL)'; \
	PATH="$$tool/bin:$$PATH" $(COMPILE) --extra dev --extra spark -o $(LOCK); \
	PATH="$$tool/bin:$$PATH" $(COMPILE) --extra dev --extra spark --extra bench -c $(LOCK) -o $(BENCH_LOCK)

services:
	bash scripts/ensure-services.sh

# The CJK font the console's PDFs (结算单, 缴费凭证) are drawn in (Debian's fonts-wqy-microhei).
fonts:
	bash scripts/ensure-fonts.sh

demo: install fonts
	$(BIN)/yibao demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/yibao/engine src/yibao/money.py src/yibao/demo src/yibao/store/frame_write.py

test: install services fonts lint
	$(BIN)/pytest -q -n 2 --dist loadgroup

bench: install
	$(BIN)/python -m pip install -q --require-hashes -r $(BENCH_LOCK)
	# wrk (Debian package) loads the API; without it bench/api_latency.py falls back to httpx.
	command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 || true
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var out

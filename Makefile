# Two commands on a fresh machine: `make demo` and `make test`.
# One .venv, two stamps: `make demo` installs the package with its CLI extra only (seconds);
# `make test` (and lint, typecheck, bench) the full dev set, which also covers the demo.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
# The demo's installer: the venv's own pip when it has one, else python3's pip pointed at
# the venv (pip >= 22.3; no pip copied into it: ~9 s and 26 MB saved), else ensurepip's.
DEMO_PIP = $(shell if $(PY) -m pip --version >/dev/null 2>&1; then echo "$(PY) -m pip"; \
	elif $(PYTHON) -m pip --python $(PY) --version >/dev/null 2>&1; then echo "$(PYTHON) -m pip --python $(PY)"; \
	else $(PY) -m ensurepip >/dev/null; echo "$(PY) -m pip"; fi)
PIP_FLAGS := -q --disable-pip-version-check
# docker compose (the plugin), else the standalone docker-compose
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: install install-demo demo test test-unit lint typecheck check bench up down servers-stop clean

install: $(STAMP)

install-demo: $(DEMO_STAMP)

$(PY):
	$(PYTHON) -m venv --without-pip $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	$(PY) -m pip $(PIP_FLAGS) install --upgrade pip
	$(PY) -m pip $(PIP_FLAGS) install -e '.[dev]'
	touch $(STAMP) $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(DEMO_PIP) $(PIP_FLAGS) install --no-compile -e '.[cli]'
	touch $(DEMO_STAMP)

demo: install-demo
	bash scripts/demo.sh

test: install
	bash scripts/test.sh

test-unit: install
	$(PY) -m pytest -q tests/unit

lint: install
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck

bench: install
	$(PY) -m bench.run $(if $(filter 1,$(QUICK)),--quick,) $(BENCH_ARGS)

up:
	$(COMPOSE) up -d

down:
	$(COMPOSE) down

servers-stop:
	-bash scripts/ceph-s3.sh stop .servers/ceph
	-bash scripts/seaweedfs-s3.sh stop .servers/seaweedfs

clean: servers-stop
	rm -rf $(VENV) .bucket-data .pytest_cache .mypy_cache .ruff_cache

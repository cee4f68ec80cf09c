# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-unit lint typecheck check bench up down servers-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: install
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
	$(PY) -m bench.run $(if $(filter 1,$(QUICK)),--quick,)

up:
	docker compose up -d

down:
	docker compose down

servers-stop:
	-bash scripts/ceph-s3.sh stop .servers/ceph
	-bash scripts/seaweedfs-s3.sh stop .servers/seaweedfs

clean: servers-stop
	rm -rf $(VENV) .bucket-data .pytest_cache .mypy_cache .ruff_cache

# Two commands on a fresh machine: `make demo` and `make test`.
# One .venv, two stamps: `make demo` installs the package with its CLI extra only (seconds);
# `make test` (and lint, typecheck, bench) the full dev set, which also covers the demo.
# Both install the tested versions: requirements/dev.lock (`make lock` refreshes it).
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
# The tested dependency set: every package of the dev extra (and pip) pinned, compiled from
# pyproject.toml's ranges by pip-tools through this machine's pip settings (its index,
# mirrors). `make install` installs exactly it; `make demo` takes its versions for the few
# packages the CLI extra needs. Refresh:
#   make lock            after a change of pyproject.toml's dependencies: adds and moves
#                        only what the change needs, keeps every other pin
#   make lock UPGRADE=1  every pin to the newest release pyproject.toml's bounds allow
# then `make test`, and commit the lock with the change (raise an upper bound in
# pyproject.toml only for a release the suite passed on).
LOCK       := requirements/dev.lock
PIP_TOOLS  := pip-tools==7.7.0
# the unit layer runs with no network where this user may make a network namespace (root)
NONET = $(shell unshare -n true >/dev/null 2>&1 && echo "unshare -n")
# docker compose (the plugin), else the standalone docker-compose
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: install install-demo demo test test-unit lint typecheck check bench lock up down servers-stop clean

install: $(STAMP)

install-demo: $(DEMO_STAMP)

$(PY):
	$(PYTHON) -m venv --without-pip $(VENV)

$(STAMP): pyproject.toml $(wildcard $(LOCK)) | $(PY)
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	$(PY) -m pip $(PIP_FLAGS) install "$$(grep '^pip==' $(LOCK))"
	$(PY) -m pip $(PIP_FLAGS) install -r $(LOCK) -e '.[dev]'
	$(PY) -c "$$LOCK_CHECK" $(LOCK)
	touch $(STAMP) $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml $(wildcard $(LOCK)) | $(PY)
	$(DEMO_PIP) $(PIP_FLAGS) install --no-compile -e '.[cli]' $(if $(wildcard $(LOCK)),-c $(LOCK))
	touch $(DEMO_STAMP)

# After `make install`, every distribution `backend-bucket[dev]` needs (its requirements followed
# through the installed metadata) is the lock's, at the lock's version: a dependency added
# to pyproject.toml without `make lock` stops here instead of landing untested. What else a
# developer installed by hand in .venv is not looked at.
define LOCK_CHECK
import re, sys
from importlib.metadata import PackageNotFoundError, distribution
from packaging.requirements import Requirement
key = lambda name: re.sub(r"[-_.]+", "-", name).lower()
pins = {}
for line in open(sys.argv[1]):
    name, sep, version = line.split("#")[0].strip().partition("==")
    if sep:
        pins[key(name)] = version.strip()
seen, todo, stray = set(), [("backend-bucket", "dev")], set()
while todo:
    name, extra = todo.pop()
    if (key(name), extra) in seen:
        continue
    seen.add((key(name), extra))
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        continue
    if key(name) != "backend-bucket" and pins.get(key(name)) != dist.version:
        stray.add(f"{dist.metadata['Name']}=={dist.version}")
    for text in dist.requires or ():
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": extra or ""}):
            todo += [(req.name, None), *((req.name, e) for e in req.extras)]
if stray:
    sys.exit(f"installed for backend-bucket[dev] but not pinned in {sys.argv[1]}: "
             f"{' '.join(sorted(stray))}; run `make lock`")
endef
export LOCK_CHECK

lock:
	mkdir -p $(dir $(LOCK))
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip $(PIP_FLAGS) install "$$(grep -s '^pip==' $(LOCK) || echo pip)" $(PIP_TOOLS) && \
	echo pip | CUSTOM_COMPILE_COMMAND="make lock" "$$tmp/venv/bin/pip-compile" -q \
	  --extra dev --strip-extras --unsafe-package backend-bucket --no-emit-index-url --no-emit-find-links \
	  $(if $(filter 1,$(UPGRADE)),--upgrade) -o $(LOCK) pyproject.toml -

demo: install-demo
	bash scripts/demo.sh

test: install
	bash scripts/test.sh

# every test no server fixture marks `integration` (tests/conftest.py), over the whole tree
test-unit: install
	$(NONET) $(PY) -m pytest -q -m "not integration" tests

lint: install
	$(VENV)/bin/ruff check backend tests bench scripts
	$(VENV)/bin/ruff format --check backend scripts
	$(VENV)/bin/lint-imports

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

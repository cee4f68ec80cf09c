#!/usr/bin/env bash
# `make demo`: runs backend/demo.py on what .env / the environment configure.
# With no S3 server named and no local store available, starts the project's Ceph RGW for the
# run and stops it afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
configured() {
  [ -n "${BUCKET_HOST:-}${S3_ENDPOINT_URL:-}${STORAGE_TYPE:-}${BUCKET_STORAGE_TYPE:-}" ] && return 0
  [ -f .env ] && grep -Eq '^(BUCKET_HOST|S3_ENDPOINT_URL|STORAGE_TYPE|BUCKET_STORAGE_TYPE)=.' .env
}
if configured || [ -f backend/src/libs/bucket/local_store.py ]; then
  exec "$PY" -m backend.demo
fi
dir=.servers/demo-ceph
trap 'bash scripts/ceph-s3.sh stop "$dir" >/dev/null 2>&1' EXIT
echo "no S3 server configured: starting the project's local Ceph RGW (first run installs it)"
env_text=$(bash scripts/ceph-s3.sh start "$dir" 2>/dev/null) || { echo "could not start Ceph RGW"; exit 1; }
set -a; eval "$env_text"; set +a
"$PY" -m backend.demo

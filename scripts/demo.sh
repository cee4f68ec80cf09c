#!/usr/bin/env bash
# `make demo`: the main job end to end (backend/demo.py) on what .env / the environment
# configure: the local folder store by default (no server needed), or the S3 server named
# by BUCKET_HOST / S3_ENDPOINT_URL.
set -uo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" -m backend.demo

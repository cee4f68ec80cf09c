#!/usr/bin/env bash
# `make demo`: the main job end to end (backend/demo.py) on what .env / the environment
# configure: the local folder store by default (no server needed), or the S3 server named
# by BUCKET_HOST / S3_ENDPOINT_URL. Exit status: 0 every step passed, 1 a step failed,
# 2 the health check failed (one message on stderr says what to do: `make up`, or remove .env).
set -uo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" -m backend.demo

#!/usr/bin/env bash
# Runs the whole suite against real servers and stops what it started, pass or fail.
#   - S3: the project's Ceph RGW under .servers/ (or BUCKET_TEST_S3_ENDPOINT, see tests/servers.py)
#   - Redis and MariaDB: scripts/services.sh starts them when they do not answer
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
started_ceph=0
started_seaweedfs=0
cleanup() {
  if [ "$started_ceph" = 1 ] && [ "${BUCKET_TEST_KEEP_SERVERS:-0}" != 1 ]; then
    bash scripts/ceph-s3.sh stop .servers/ceph >/dev/null 2>&1 || true
  fi
  if [ "$started_seaweedfs" = 1 ] && [ "${BUCKET_TEST_KEEP_SERVERS:-0}" != 1 ]; then
    bash scripts/seaweedfs-s3.sh stop .servers/seaweedfs >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT INT TERM
if [ -f scripts/services.sh ]; then bash scripts/services.sh start || exit 1; fi
if [ -z "${BUCKET_TEST_S3_ENDPOINT:-}" ] && ! bash scripts/ceph-s3.sh env .servers/ceph >/dev/null 2>&1; then
  started_ceph=1   # pytest starts it; this trap makes sure it is stopped even if pytest dies
fi
if [ -z "${BUCKET_TEST_SEAWEEDFS_ENDPOINT:-}" ] && ! bash scripts/seaweedfs-s3.sh env .servers/seaweedfs >/dev/null 2>&1; then
  started_seaweedfs=1   # likewise for SeaweedFS (tests/servers.py: start_seaweedfs)
fi
"$PY" -m pytest "$@"
rc=$?
# the S3 suites once more on the boto3 engine (the first pass ran BUCKET_ENGINE=auto, which
# is obstore for small objects): store, parity, faults and bad input on both data planes
if [ "$rc" = 0 ] && [ $# = 0 ]; then
  BUCKET_TEST_ENGINE=boto3 "$PY" -m pytest -q -p no:randomly \
    tests/integration/test_s3_store.py tests/integration/test_store_parity.py \
    tests/faults tests/badinput
  rc=$?
fi
# pytest exits 5 when it collected no test: that is a failure here, not a pass
exit $rc

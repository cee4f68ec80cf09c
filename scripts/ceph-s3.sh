#!/usr/bin/env bash
# ceph-s3.sh — throwaway single-node Ceph (mon + 1 OSD + radosgw/beast) on 127.0.0.1.
#   ceph-s3.sh start [DIR]   install pkgs if missing, start (or reuse) a cluster, print S3 env
#   ceph-s3.sh stop  [DIR]   kill the daemons and delete DIR (data is not kept)
#   ceph-s3.sh env   [DIR]   print the env of a running cluster
#   ceph-s3.sh rgw-stop  [DIR]   stop only the S3 gateway (tests of a server going away)
#   ceph-s3.sh rgw-start [DIR]   start the gateway again on the same port
# Adapted for this project from the team's shared script; the project keeps its own copy.
# Env knobs: OBJECTSTORE=bluestore (default; sparse file DIR/osd/block, ~120 MB RSS idle, ~400 MB
#            busy) | memstore (data in RAM, RSS grows with data, starts ~3.5 s faster);
#            STORE_GB=10 (file size / RAM cap); S3_PORT (default: a free port); S3_ACCESS_KEY/S3_SECRET_KEY
# Needs root only for the one-time apt-get install (Debian 12: Ceph 16.2.15 "pacific").
set -euo pipefail
CMD=${1:-start}; DIR=$(realpath -m "${2:-${CEPH_S3_DIR:-/tmp/ceph-s3}}")
OBJECTSTORE=${OBJECTSTORE:-bluestore}; STORE_GB=${STORE_GB:-10}
AK=${S3_ACCESS_KEY:-cephtestaccesskey}; SK=${S3_SECRET_KEY:-cephtestsecretkey}
export CEPH_CONF=$DIR/ceph.conf
T0=$(date +%s%N); log() { echo "[ceph-s3] +$(( ($(date +%s%N) - T0) / 1000000 ))ms $*" >&2; }

running() { [ -f "$DIR/s3.env" ] && for d in mon.a osd.0 client.rgw.a; do
    alive "$(cat "$DIR/run/ceph-$d.pid" 2>/dev/null || echo 0)" || return 1; done; }

alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
stop() {
  # rgw (1 s grace, its clean exit takes ~5 s), osd (tells the mon it goes down), mon;
  # only the pids from our own pid files
  for d in client.rgw.a:10 osd.0:50 mon.a:50; do
    p=$(cat "$DIR/run/ceph-${d%:*}.pid" 2>/dev/null || true); [ -n "$p" ] || continue
    kill "$p" 2>/dev/null || continue
    for _ in $(seq "${d#*:}"); do alive "$p" || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  # only ever delete a directory this script created
  if [ -f "$DIR/.ceph-s3" ]; then rm -rf "$DIR"; fi
}

# a block of 20 free 127.0.0.1 ports below the ephemeral range: mon, rgw, osd x18
pick_ports() { python3 - "$@" <<'EOF'
import random, socket, sys
want = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else 0
for _ in range(500):
    base = random.randrange(20000, 32000)
    ports = [base + i for i in range(20)]
    if want: ports[1] = want
    try:
        for p in ports:
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
    except OSError:
        continue
    print(*ports[:2], ports[2], ports[-1]); break
else:
    sys.exit("no free port block")
EOF
}

wait_for() { # wait_for SECONDS DESC CMD...
  local t=$1 what=$2; shift 2
  for _ in $(seq $((t * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "timeout waiting for $what; logs in $DIR/log"; tail -5 "$DIR"/log/*.log >&2; return 1
}

start() {
  if running; then log "already running"; cat "$DIR/s3.env"; return; fi
  [ -f "$DIR/.ceph-s3" ] && stop                  # stale/partial state -> start fresh
  if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then log "$DIR is not empty and not ours"; exit 1; fi
  if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v ceph-mon >/dev/null; then
    log "installing ceph packages (~60 MB download, ~260 MB installed)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common >/dev/null
  fi
  mkdir -p "$DIR"/{mon,osd,run,log,rgw} && touch "$DIR/.ceph-s3"
  read -r MON_PORT RGW_PORT OSD_MIN OSD_MAX < <(pick_ports "${S3_PORT:-}")
  FSID=$(uuidgen)
  if [ "$OBJECTSTORE" = bluestore ]; then
    STORE="osd objectstore = bluestore
bluestore block path = $DIR/osd/block
bluestore block create = true
bluestore block size = $((STORE_GB << 30))
osd memory target = 1073741824
bluestore fsck on mount = false"
  else
    STORE="osd objectstore = memstore
memstore device bytes = $((STORE_GB << 30))"
  fi
  cat > "$CEPH_CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind port min = $OSD_MIN
ms bind port max = $OSD_MAX
# no cephx: everything is on loopback and throwaway
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
keyring = /dev/null
run dir = $DIR/run
admin socket = $DIR/run/\$cluster-\$name.asok
pid file = $DIR/run/\$cluster-\$name.pid
log file = $DIR/log/\$cluster-\$name.log
crash dir = $DIR/log
# one OSD: size-1 pools, few PGs, no mgr-driven autoscaling
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
[mon]
mon data = $DIR/mon/\$id
# commit map changes every 50 ms instead of 1 s (pool creation, osd boot)
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $DIR/osd/\$id
$STORE
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $DIR/rgw
# SSE-C / SSE-KMS over plain http; 'testing' KMS with one static key
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=$(head -c32 /dev/urandom | base64)
# lifecycle: one "day" = 10 s, so expiration rules can be tested
rgw lc debug interval = 10
# reclaim the space of deleted objects and aborted uploads within a minute (default: 2 h),
# so a long test run does not fill the OSD with garbage awaiting collection
rgw gc obj min wait = 30
rgw gc processor period = 30
rgw gc processor max time = 30
EOF
  log "mon on $MON_PORT, osd ports $OSD_MIN-$OSD_MAX, rgw on $RGW_PORT ($OBJECTSTORE)"
  monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" \
    --enable-all-features --set-min-mon-release pacific "$DIR/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$DIR/monmap" 2>>"$DIR/log/mkfs.log"
  ceph-mon -i a
  wait_for 30 mon timeout 5 ceph mon stat
  log "mon up"
  OSD_UUID=$(uuidgen)
  ceph osd new "$OSD_UUID" >/dev/null              # -> osd.0
  mkdir -p "$DIR/osd/0"
  ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>>"$DIR/log/mkfs.log"
  ceph-osd -i 0 2>>"$DIR/log/mkfs.log"
  wait_for 60 osd.0-up sh -c 'ceph osd dump | grep -q "^osd.0 up"'
  log "osd up"
  # create rgw's pools up front (one ceph CLI process), else the first bucket create takes ~2 s
  for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta \
           default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    echo "osd pool create $p 8 8"; echo "osd pool application enable $p rgw"
  done | ceph >/dev/null 2>&1
  log "pools created"
  # the S3 user (this also creates the default zone), then an extra storage class so
  # StorageClass=STANDARD_IA is accepted
  radosgw-admin user create --uid=test --display-name=test --access-key="$AK" --secret-key="$SK" >/dev/null
  radosgw-admin zonegroup placement add --rgw-zonegroup default --placement-id default-placement \
    --storage-class STANDARD_IA >/dev/null
  radosgw-admin zone placement add --rgw-zone default --placement-id default-placement \
    --storage-class STANDARD_IA --data-pool default.rgw.buckets.data >/dev/null
  log "zone + user configured"
  radosgw -n client.rgw.a
  wait_for 60 rgw curl -sf "http://127.0.0.1:$RGW_PORT/"
  log "rgw up"
  cat > "$DIR/s3.env" <<EOF
S3_ENDPOINT_URL=http://127.0.0.1:$RGW_PORT
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
AWS_DEFAULT_REGION=us-east-1
CEPH_CONF=$CEPH_CONF
EOF
  cat "$DIR/s3.env"
}

rgw_stop() {
  p=$(cat "$DIR/run/ceph-client.rgw.a.pid" 2>/dev/null || true); [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || return 0
  for _ in $(seq 50); do alive "$p" || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  for _ in $(seq 50); do alive "$p" || break; sleep 0.1; done
}

rgw_start() {
  url=$(grep '^S3_ENDPOINT_URL=' "$DIR/s3.env" | cut -d= -f2-)
  radosgw -n client.rgw.a
  wait_for 60 rgw curl -sf "$url/"
}

case "$CMD" in
  start) start ;;
  rgw-stop) rgw_stop; log "rgw stopped" ;;
  rgw-start) rgw_start; log "rgw started" ;;
  stop)  stop; log "stopped" ;;
  env)   running && cat "$DIR/s3.env" || { log "not running"; exit 1; } ;;
  *) echo "usage: $0 start|stop|env|rgw-stop|rgw-start [DIR]" >&2; exit 2 ;;
esac

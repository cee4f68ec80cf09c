#!/usr/bin/env bash
# redis-topology.sh — throwaway Redis topologies on 127.0.0.1, from Debian's redis-server (7.x):
#   redis-topology.sh start sentinel DIR   a primary, a replica and three sentinels
#   redis-topology.sh start cluster  DIR   a six-node cluster (3 primaries, 3 replicas)
#   redis-topology.sh env  DIR             print the settings of the running topology
#   redis-topology.sh kill NAME DIR        SIGKILL one node (NAME: primary, or a port)
#   redis-topology.sh stop DIR             stop every process of DIR and delete DIR
# Ports are free ones above 20000 (never 6379); nothing is persisted. DIR/redis.env holds
# the settings (REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_CLUSTER_NODES...) and
# DIR/*.pid the processes. The sentinel topology has passwords on the data nodes and on the
# sentinels (random, written to DIR/redis.env); the cluster has none.
# Failovers are quick: down-after-milliseconds / cluster-node-timeout 1000 ms.
set -euo pipefail
CMD=${1:-}
log() { printf '[redis-topology] %s\n' "$*" >&2; }
usage() { echo "usage: $0 start sentinel|cluster DIR | env DIR | kill NAME DIR | stop DIR" >&2; exit 2; }

alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }

free_ports() {  # N: N free 127.0.0.1 ports in one block below the ephemeral range
  python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randrange(20000, 32000)
    ports = [base + i for i in range(n)] + [base + 10000 + i for i in range(n)]  # + cluster bus
    try:
        for p in ports:
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
    except OSError:
        continue
    print(*ports[:n]); break
else:
    sys.exit("no free port block")
EOF
}

wait_for() {  # SECONDS WHAT CMD...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "timeout waiting for $what (logs in $DIR)"; return 1; fi
    sleep 0.1
  done
}

node() {  # NAME PORT EXTRA-CONFIG: start one daemonized redis-server
  local name=$1 port=$2
  cat > "$DIR/$name.conf" <<EOF
port $port
bind 127.0.0.1
daemonize yes
pidfile $DIR/$name.pid
logfile $DIR/$name.log
dir $DIR
save ""
appendonly no
$3
EOF
}

field() {  # PORT NAME: one field of SENTINEL MASTER mymaster
  redis-cli -p "$1" sentinel master mymaster | grep -A1 -x "$2" | tail -1
}
sentinel_ready() {  # PORT: the sentinel sees the two others and the replica
  [ "$(field "$1" num-other-sentinels)" = 2 ] && [ "$(field "$1" num-slaves)" = 1 ]
}
replica_synced() { redis-cli -p "$1" info replication | grep -q 'master_link_status:up'; }
cluster_ok() { redis-cli -p "$1" cluster info | grep -q 'cluster_state:ok'; }
three_replicas() { [ "$(redis-cli -p "$1" cluster nodes | grep -c ' slave ')" = 3 ]; }

start_sentinel() {
  local -a p; read -r -a p < <(free_ports 5)
  local pw spw; pw="d$(head -c12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  spw="s$(head -c12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  node primary "${p[0]}" "requirepass $pw
masterauth $pw"
  node replica "${p[1]}" "requirepass $pw
masterauth $pw
replicaof 127.0.0.1 ${p[0]}"
  redis-server "$DIR/primary.conf"; redis-server "$DIR/replica.conf"
  for i in 1 2 3; do
    node "sentinel$i" "${p[$((i + 1))]}" "requirepass $spw
sentinel sentinel-pass $spw
sentinel monitor mymaster 127.0.0.1 ${p[0]} 2
sentinel auth-pass mymaster $pw
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 2000
sentinel parallel-syncs mymaster 1"
    redis-server "$DIR/sentinel$i.conf" --sentinel
  done
  export REDISCLI_AUTH=$pw
  wait_for 20 "the replica's sync" replica_synced "${p[1]}"
  export REDISCLI_AUTH=$spw
  for i in 2 3 4; do wait_for 20 "sentinel on ${p[$i]}" sentinel_ready "${p[$i]}"; done
  cat > "$DIR/redis.env" <<EOF
REDIS_SENTINELS=127.0.0.1:${p[2]},127.0.0.1:${p[3]},127.0.0.1:${p[4]}
REDIS_SENTINEL_MASTER=mymaster
REDIS_SENTINEL_PASSWORD=$spw
REDIS_PASSWORD=$pw
PRIMARY_PORT=${p[0]}
REPLICA_PORT=${p[1]}
EOF
}

start_cluster() {
  local -a p; read -r -a p < <(free_ports 6)
  local i
  for i in 0 1 2 3 4 5; do
    node "node${p[$i]}" "${p[$i]}" "cluster-enabled yes
cluster-config-file $DIR/nodes-${p[$i]}.conf
cluster-node-timeout 1000
cluster-replica-validity-factor 0"
    redis-server "$DIR/node${p[$i]}.conf"
  done
  for i in 0 1 2 3 4 5; do wait_for 10 "node ${p[$i]}" redis-cli -p "${p[$i]}" ping; done
  redis-cli --cluster create $(printf '127.0.0.1:%s ' "${p[@]}") \
    --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 \
    || { log "cluster create failed:"; tail -5 "$DIR/create.log" >&2; return 1; }
  for i in 0 1 2 3 4 5; do
    wait_for 20 "cluster_state:ok on ${p[$i]}" cluster_ok "${p[$i]}"
  done
  # every replica attached (a failover needs one)
  wait_for 20 "three replicas" three_replicas "${p[0]}"
  local nodes; nodes=$(printf '127.0.0.1:%s,' "${p[@]}")
  cat > "$DIR/redis.env" <<EOF
REDIS_CLUSTER=true
REDIS_CLUSTER_NODES=${nodes%,}
REDIS_URL=redis://127.0.0.1:${p[0]}/0
EOF
}

stop() {
  local f pid
  for f in "$DIR"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true); [ -n "$pid" ] || continue
    kill -9 "$pid" 2>/dev/null || true
  done
  for f in "$DIR"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    for _ in $(seq 50); do [ -n "$pid" ] && alive "$pid" || break; sleep 0.1; done
  done
  if [ -f "$DIR/.redis-topology" ]; then rm -rf "$DIR"; fi   # only a folder this script made
}

kill_node() {  # NAME: "primary" (the sentinel topology's current primary) or a port
  local name=$1 port pid
  if [ "$name" = primary ]; then
    port=$(REDISCLI_AUTH=$(sed -n 's/^REDIS_SENTINEL_PASSWORD=//p' "$DIR/redis.env") \
      redis-cli -p "$(sed -n 's/^REDIS_SENTINELS=127.0.0.1:\([0-9]*\).*/\1/p' "$DIR/redis.env")" \
      sentinel get-master-addr-by-name mymaster | tail -1)
  else
    port=$name
  fi
  for f in "$DIR"/*.conf; do
    if grep -qx "port $port" "$f"; then
      pid=$(cat "${f%.conf}.pid"); kill -9 "$pid"
      for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
      echo "$port"; return 0
    fi
  done
  log "no node on port $port"; return 1
}

case "$CMD" in
  start)
    KIND=${2:-}; DIR=$(realpath -m "${3:-}"); [ -n "${3:-}" ] || usage
    command -v redis-server >/dev/null || { log "redis-server is missing: apt-get install redis-server"; exit 1; }
    if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then log "$DIR is not empty"; exit 1; fi
    mkdir -p "$DIR" && touch "$DIR/.redis-topology"
    case "$KIND" in
      sentinel) start_sentinel || { stop; exit 1; } ;;
      cluster) start_cluster || { stop; exit 1; } ;;
      *) usage ;;
    esac
    cat "$DIR/redis.env" ;;
  env) DIR=$(realpath -m "${2:?}"); cat "$DIR/redis.env" ;;
  kill) DIR=$(realpath -m "${3:?}"); kill_node "${2:?}" ;;
  stop) DIR=$(realpath -m "${2:?}"); stop ;;
  *) usage ;;
esac

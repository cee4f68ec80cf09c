#!/usr/bin/env bash
# mariadb-topology.sh — two throwaway MariaDB servers on 127.0.0.1 that only accept TLS,
# from Debian's mariadb-server (10.11) and openssl:
#   mariadb-topology.sh start DIR        a self-signed CA; server "a" (the primary, its
#                                        certificate names 127.0.0.1) and server "b" (the
#                                        failover target, its certificate names
#                                        db-b.invalid only: identity checks refuse it by IP)
#   mariadb-topology.sh env DIR          print the settings (DB_HOST, DB_FAILOVER, DB_SSL_*...)
#   mariadb-topology.sh kill a|b DIR     SIGKILL one server (tests of a failover)
#   mariadb-topology.sh revive a|b DIR   start it again on the same port and datadir
#   mariadb-topology.sh stop DIR         stop both servers and delete DIR
# Both run with require_secure_transport=ON; user `app` (password in DIR/mariadb.env) must
# present a client certificate (REQUIRE X509); database `bucket_test`. No replication: the
# failover target is a second server, replicating is the deployment's job. Ports are free
# ones above 20000 (never 3306).
set -euo pipefail
CMD=${1:-}
log() { printf '[mariadb-topology] %s\n' "$*" >&2; }
usage() { echo "usage: $0 start DIR | env DIR | kill a|b DIR | revive a|b DIR | stop DIR" >&2; exit 2; }
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
CLIENT=$(command -v mariadb || command -v mysql || echo mariadb)

free_ports() {
  python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks: s.close()
EOF
}

certs() {  # a CA, a server certificate per server, a client certificate
  local c=$DIR/tls
  mkdir -p "$c"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bucket test CA" \
    -keyout "$c/ca-key.pem" -out "$c/ca.pem" 2>/dev/null
  issue() {  # NAME SUBJECT-ALT-NAME
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" \
      -keyout "$c/$1-key.pem" -out "$c/$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\n' "$2" > "$c/$1.ext"
    openssl x509 -req -in "$c/$1.csr" -CA "$c/ca.pem" -CAkey "$c/ca-key.pem" -CAcreateserial \
      -days 2 -extfile "$c/$1.ext" -out "$c/$1.pem" 2>/dev/null
  }
  issue server-a "IP:127.0.0.1"
  issue server-b "DNS:db-b.invalid"
  issue client "DNS:app"
}

serve() {  # NAME: start mariadbd NAME in the background
  local name=$1 port; port=$(cat "$DIR/$name.port")
  setsid "$MARIADBD" --no-defaults --datadir="$DIR/$name" --socket="$DIR/$name.sock" \
    --port="$port" --bind-address=127.0.0.1 --user="$(id -un)" --skip-log-bin \
    --innodb-buffer-pool-size=16M --skip-name-resolve --pid-file="$DIR/$name.pid" \
    --ssl-ca="$DIR/tls/ca.pem" --ssl-cert="$DIR/tls/server-$name.pem" \
    --ssl-key="$DIR/tls/server-$name-key.pem" --require-secure-transport=ON \
    --log-error="$DIR/$name.err" </dev/null >/dev/null 2>&1 &
  local deadline=$((SECONDS + 60))
  until "$CLIENT" --no-defaults -S "$DIR/$name.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "server $name did not start:"; tail -5 "$DIR/$name.err" >&2; return 1; fi
    sleep 0.1
  done
}

start() {
  command -v mariadb-install-db >/dev/null || { log "mariadb-server is missing: apt-get install mariadb-server"; exit 1; }
  if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then log "$DIR is not empty"; exit 1; fi
  mkdir -p "$DIR" && touch "$DIR/.mariadb-topology"
  certs
  # one datadir initialised, copied for the second server (install-db is the slow part)
  mariadb-install-db --no-defaults --datadir="$DIR/a" --user="$(id -un)" \
    --auth-root-authentication-method=normal --skip-test-db >"$DIR/install.log" 2>&1 \
    || { log "mariadb-install-db failed:"; tail -5 "$DIR/install.log" >&2; return 1; }
  cp -a "$DIR/a" "$DIR/b"
  local -a p; read -r -a p < <(free_ports)
  echo "${p[0]}" > "$DIR/a.port"; echo "${p[1]}" > "$DIR/b.port"
  local pw; pw="m$(head -c12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  serve a & local wa=$!; serve b & local wb=$!
  wait "$wa" && wait "$wb" || return 1
  for name in a b; do
    "$CLIENT" --no-defaults -S "$DIR/$name.sock" -uroot -e "
      CREATE DATABASE bucket_test;
      CREATE USER 'app'@'%' IDENTIFIED BY '$pw' REQUIRE X509;
      GRANT ALL ON *.* TO 'app'@'%';
      FLUSH PRIVILEGES;"
  done
  cat > "$DIR/mariadb.env" <<EOF
DB_HOST=127.0.0.1
DB_PORT=${p[0]}
DB_FAILOVER=127.0.0.1:${p[1]}
DB_USER=app
DB_PASSWORD=$pw
DB_DATABASE=bucket_test
DB_SSL_CA=$DIR/tls/ca.pem
DB_SSL_CERT=$DIR/tls/client.pem
DB_SSL_KEY=$DIR/tls/client-key.pem
DB_SSL_VERIFY_IDENTITY=true
PORT_A=${p[0]}
PORT_B=${p[1]}
EOF
}

kill_server() {  # NAME
  local pid; pid=$(cat "$DIR/$1.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.05; done
  rm -f "$DIR/$1.pid"
}

stop() {
  kill_server a; kill_server b
  if [ -f "$DIR/.mariadb-topology" ]; then rm -rf "$DIR"; fi   # only a folder this script made
}

case "$CMD" in
  start) DIR=$(realpath -m "${2:?}"); start || { stop; exit 1; }; cat "$DIR/mariadb.env" ;;
  env) DIR=$(realpath -m "${2:?}"); cat "$DIR/mariadb.env" ;;
  kill) DIR=$(realpath -m "${3:?}"); kill_server "${2:?}" ;;
  revive) DIR=$(realpath -m "${3:?}"); serve "${2:?}" ;;
  stop) DIR=$(realpath -m "${2:?}"); stop ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# Makes Redis (127.0.0.1:6379) and MariaDB (127.0.0.1:3306, root, empty password) answer,
# and creates the test database. Idempotent, and quick when both already answer.
#   bash scripts/services.sh start     install (Debian packages) and start what does not answer
#   bash scripts/services.sh status    say what answers (exit 1 if something does not)
# Variables: TEST_DB_DATABASE (default bucket_test), REDIS_PORT / DB_PORT are not read:
# the tests expect the standard ports.
set -euo pipefail

REDIS_HOST=127.0.0.1 REDIS_PORT=6379
DB_HOST=127.0.0.1 DB_PORT=3306
TEST_DB=${TEST_DB_DATABASE:-bucket_test}
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
apt_updated=0

log() { printf 'services: %s\n' "$*" >&2; }

port_open() {  # host port: true when something accepts TCP connections there
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0 || return 1
}

redis_ok() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    port_open "$REDIS_HOST" "$REDIS_PORT"
  fi
}

mariadb_client() { command -v mariadb 2>/dev/null || command -v mysql 2>/dev/null; }

mariadb_ok() {
  local client
  client=$(mariadb_client) || return 1
  "$client" --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -uroot --connect-timeout=2 -e 'SELECT 1' >/dev/null 2>&1
}

mariadb_up() { port_open "$DB_HOST" "$DB_PORT"; }

apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

wait_for() {  # seconds check-function name
  local deadline=$((SECONDS + $1))
  until "$2"; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "$3 did not answer within $1 s"; return 1; fi
    sleep 0.3
  done
}

start_redis() {
  redis_ok && return 0
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  log "starting redis-server on $REDIS_HOST:$REDIS_PORT"
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 30 redis_ok Redis
}

start_mariadb() {
  if ! mariadb_ok; then
    if [ ! -x /usr/sbin/mariadbd ] || [ -z "$(mariadb_client || true)" ]; then
      apt_install mariadb-server mariadb-client
    fi
    if [ ! -d /var/lib/mysql/mysql ]; then
      log "initialising /var/lib/mysql"
      $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    $SUDO mkdir -p /run/mysqld
    $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
    log "starting mariadbd on $DB_HOST:$DB_PORT"
    $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for 60 mariadb_up MariaDB
    if ! wait_for 5 mariadb_ok MariaDB; then
      # a fresh Debian install lets root in only through the unix socket: open TCP too
      log "letting root in over TCP with an empty password"
      $SUDO "$(mariadb_client)" -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;" || true
      wait_for 10 mariadb_ok MariaDB
    fi
  fi
  "$(mariadb_client)" --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -uroot \
    -e "CREATE DATABASE IF NOT EXISTS \`$TEST_DB\` CHARACTER SET utf8mb4"
}

case "${1:-start}" in
  start)
    start_redis
    start_mariadb
    log "Redis $REDIS_HOST:$REDIS_PORT and MariaDB $DB_HOST:$DB_PORT answer; database $TEST_DB exists"
    ;;
  status)
    rc=0
    if redis_ok; then log "Redis answers"; else log "Redis does not answer"; rc=1; fi
    if mariadb_ok; then log "MariaDB answers"; else log "MariaDB does not answer"; rc=1; fi
    exit $rc
    ;;
  *)
    echo "usage: $0 start|status" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Makes sure Redis and MariaDB answer, and changes nothing when they already do.
#
# For each service: if something answers on its port, it is left as it is. Otherwise, on this
# machine, the script starts it, installing the Debian package first when it is missing
# (`apt-get update` once, then `apt-get install`), and waits until it answers. Then it checks that
# MariaDB's root logs in over TCP with an empty password and that the database `test` exists.
#
# Environment:
#   REDIS_HOST, REDIS_PORT    default from REDIS_URL, else 127.0.0.1, 6379
#   MYSQL_HOST, MYSQL_PORT    default from MYSQL_URL, else 127.0.0.1, 3306 (root, no password, db test)
#   SERVICES_WAIT_SECONDS     how long to wait for a started service to answer, default 30
# A MariaDB port other than 3306 gets its own data directory (/var/lib/mysql-<port>), so starting
# it never touches the default instance. Exits non-zero with the reason when it cannot succeed.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# The application reads REDIS_URL and MYSQL_URL (src/config/config.ts): when they are set, the host
# and port come from them, so the services checked are the ones the application will use.
url_host() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; printf '%s' "${rest%%:*}"; }
url_port() {
  local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}
  if [[ $rest == *:* ]]; then printf '%s' "${rest##*:}"; else printf '%s' "$2"; fi
}
if [[ -n ${REDIS_URL:-} ]]; then
  REDIS_HOST=${REDIS_HOST:-$(url_host "$REDIS_URL")}
  REDIS_PORT=${REDIS_PORT:-$(url_port "$REDIS_URL" 6379)}
fi
if [[ -n ${MYSQL_URL:-} ]]; then
  MYSQL_HOST=${MYSQL_HOST:-$(url_host "$MYSQL_URL")}
  MYSQL_PORT=${MYSQL_PORT:-$(url_port "$MYSQL_URL" 3306)}
fi
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-30}
MYSQL_DATABASE='test'

REDIS_LOG=/var/log/redis/ci.log
MYSQL_DEFAULT_PORT=3306
MARIADBD=/usr/sbin/mariadbd
if [[ $MYSQL_PORT == "$MYSQL_DEFAULT_PORT" ]]; then
  MYSQL_DATADIR=/var/lib/mysql
  MYSQL_SOCKET=/run/mysqld/mysqld.sock
  MYSQL_PIDFILE=/run/mysqld/mysqld.pid
  MYSQL_LOG=/var/log/mysql/error.log
else
  MYSQL_DATADIR=/var/lib/mysql-$MYSQL_PORT
  MYSQL_SOCKET=/run/mysqld/mysqld-$MYSQL_PORT.sock
  MYSQL_PIDFILE=/run/mysqld/mysqld-$MYSQL_PORT.pid
  MYSQL_LOG=/var/log/mysql/error-$MYSQL_PORT.log
fi
if [[ $REDIS_PORT != 6379 ]]; then REDIS_LOG=/var/log/redis/ci-$REDIS_PORT.log; fi

for port in "$REDIS_PORT" "$MYSQL_PORT"; do
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then die "not a TCP port: '$port'"; fi
done
[[ $WAIT_SECONDS =~ ^[0-9]+$ ]] || die "SERVICES_WAIT_SECONDS must be a whole number of seconds"

# ---------------------------------------------------------------------------------------------
# Probes

is_local() { [[ $1 == 127.* || $1 == localhost || $1 == ::1 ]]; }

# True when something accepts a TCP connection on host:port ($0 and $1 of the child shell).
# shellcheck disable=SC2016
port_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Prints Redis's answer to PING (PONG when healthy); fails when nothing answers.
redis_ping() {
  if have redis-cli; then
    timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>&1
  else
    # No client: the inline protocol over bash's /dev/tcp; the answer is "+PONG\r".
    # shellcheck disable=SC2016
    timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && head -n 1 <&3' \
      "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null | tr -d '\r+'
  fi
}

redis_answers() { [[ $(redis_ping 2>/dev/null || true) == PONG ]]; }

mysql_tools_present() { have mariadb && have mariadb-admin; }

# The client without option files, so that a ~/.my.cnf cannot change what we test.
mysql_tcp() {
  mariadb --no-defaults --protocol=TCP -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root --connect-timeout=5 "$@"
}
mysql_socket() { mariadb --no-defaults --protocol=SOCKET -S "$MYSQL_SOCKET" -u root "$@"; }

# True when a MySQL-protocol server answers: its first packet (sent before any login) is a greeting
# (payload starts with 0x0a) or an error such as "host not allowed" (0xff). A login failure still
# means the server is up; mariadb-admin ping would report some of those as down.
# shellcheck disable=SC2016
mysql_answers() {
  local first
  first=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && head -c 5 <&3' "$MYSQL_HOST" "$MYSQL_PORT" 2>/dev/null |
    od -An -tx1 | tr -d ' \n') || return 1
  [[ $first == ????????0a || $first == ????????ff ]]
}

# Waits until "$2" succeeds, for at most WAIT_SECONDS; "$1" names the service in messages.
wait_for() {
  local name=$1 probe=$2 waited=0
  until "$probe"; do
    if ((waited >= WAIT_SECONDS)); then return 1; fi
    sleep 1
    waited=$((waited + 1))
  done
  log "$name answers (after ${waited} s)"
}

# ---------------------------------------------------------------------------------------------
# Installing and starting

require_root() {
  [[ $(id -u) == 0 ]] || die "$1 needs root (this script does not use sudo); run it as root, or do it yourself: $2"
}

APT_UPDATED=0
POLICY_RC_D=/usr/sbin/policy-rc.d
REMOVE_POLICY_RC_D=0
cleanup() { if ((REMOVE_POLICY_RC_D)); then rm -f "$POLICY_RC_D"; fi; }
trap cleanup EXIT

apt_install() {
  local packages=("$@")
  require_root "installing ${packages[*]}" "apt-get update && apt-get install -y ${packages[*]}"
  have apt-get || die "${packages[*]} not installed and apt-get is not available: install them with your system's package manager"
  if ((!APT_UPDATED)); then
    log "apt-get update"
    apt-get update -q || die "apt-get update failed (network, or the Debian mirrors unreachable?)"
    APT_UPDATED=1
  fi
  # Keep the packages' init scripts from starting the services with their stock configuration
  # (Redis would persist to disk): this script starts them itself, the same way every time.
  if [[ ! -e $POLICY_RC_D ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC_D" && chmod 755 "$POLICY_RC_D" && REMOVE_POLICY_RC_D=1
  fi
  log "apt-get install ${packages[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" ||
    die "apt-get install ${packages[*]} failed (see the messages above)"
  cleanup
  REMOVE_POLICY_RC_D=0
}

log_tail() { if [[ -r $1 ]]; then printf '%s: last lines of %s:\n' "$SCRIPT_NAME" "$1" >&2 && tail -n 15 "$1" >&2; fi; }

start_redis() {
  require_root "starting Redis" "redis-server --daemonize yes --port $REDIS_PORT ..."
  mkdir -p /var/lib/redis /var/log/redis
  log "starting redis-server on port $REDIS_PORT (no persistence, log $REDIS_LOG)"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile "$REDIS_LOG" --pidfile "/run/redis-server-$REDIS_PORT.pid" ||
    {
      log_tail "$REDIS_LOG"
      die "redis-server did not start on port $REDIS_PORT"
    }
}

start_mariadb() {
  require_root "starting MariaDB" "start-stop-daemon --start --oknodo --background --exec $MARIADBD"
  have start-stop-daemon || die "start-stop-daemon (package dpkg) is missing: start $MARIADBD yourself"
  id mysql >/dev/null 2>&1 || die "the system user 'mysql' is missing: reinstall mariadb-server"
  install -d -o mysql -g mysql /run/mysqld /var/log/mysql
  # Debian's configuration runs the server as root unless told otherwise, which mariadbd refuses.
  local args=(--user=mysql --log-error="$MYSQL_LOG")
  if [[ $MYSQL_PORT != "$MYSQL_DEFAULT_PORT" ]]; then
    args+=(--port="$MYSQL_PORT" --bind-address=127.0.0.1 --datadir="$MYSQL_DATADIR"
      --socket="$MYSQL_SOCKET" --pid-file="$MYSQL_PIDFILE")
  fi
  if [[ ! -d $MYSQL_DATADIR/mysql ]]; then
    log "initializing a new data directory $MYSQL_DATADIR (mariadb-install-db)"
    install -d -o mysql -g mysql "$MYSQL_DATADIR"
    mariadb-install-db --user=mysql --datadir="$MYSQL_DATADIR" --skip-test-db >/dev/null ||
      die "mariadb-install-db failed for $MYSQL_DATADIR"
  fi
  log "starting $MARIADBD on port $MYSQL_PORT (data $MYSQL_DATADIR, log $MYSQL_LOG)"
  start-stop-daemon --start --oknodo --background --pidfile "$MYSQL_PIDFILE" --exec "$MARIADBD" -- "${args[@]}" ||
    die "start-stop-daemon could not start $MARIADBD"
}

# ---------------------------------------------------------------------------------------------
# MariaDB's root over TCP, and the database

# Debian's MariaDB lets root in through the unix socket only (unix_socket auth, password 'invalid').
# The tests log in over TCP with an empty password, so on a server this script has just installed or
# started, and whose root still has that pristine setup, it adds the empty password (keeping
# unix_socket) and root accounts for 127.0.0.1 and ::1, which skip-name-resolve needs.
root_is_pristine() {
  [[ $(mysql_socket -N -e "SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'root' AND Host = 'localhost'
    AND JSON_VALUE(Priv, '$.authentication_string') = 'invalid'" 2>/dev/null) == 1 ]]
}

open_root_over_tcp() {
  log "fresh MariaDB: allowing root over TCP with an empty password (unix_socket kept)"
  mysql_socket -e "
    ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
    CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;
    CREATE USER IF NOT EXISTS root@'::1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO root@'::1' WITH GRANT OPTION;
    FLUSH PRIVILEGES;" || die "could not change root's authentication through $MYSQL_SOCKET"
}

ensure_mysql_login_and_database() {
  local fresh=$1 error
  if ! error=$(mysql_tcp -e 'SELECT 1' 2>&1 >/dev/null); then
    if ((fresh)) && is_local "$MYSQL_HOST" && root_is_pristine; then
      open_root_over_tcp
      error=$(mysql_tcp -e 'SELECT 1' 2>&1 >/dev/null) ||
        die "root still cannot log in over TCP at $MYSQL_HOST:$MYSQL_PORT: $error"
    else
      die "MariaDB answers on $MYSQL_HOST:$MYSQL_PORT but root cannot log in over TCP with an empty password:
  $error
This script never changes a server it did not start. On a local development server, as root:
  mariadb -S $MYSQL_SOCKET -e \"ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket\"
and, if the server runs with skip-name-resolve:
  mariadb -S $MYSQL_SOCKET -e \"CREATE USER root@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION\""
    fi
  fi
  if [[ -z $(mysql_tcp -N -e "SHOW DATABASES LIKE '$MYSQL_DATABASE'") ]]; then
    log "creating database $MYSQL_DATABASE"
    mysql_tcp -e "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`" || die "could not create database $MYSQL_DATABASE"
  fi
  log "mariadb $MYSQL_HOST:$MYSQL_PORT: root logs in over TCP, database $MYSQL_DATABASE exists"
}

# ---------------------------------------------------------------------------------------------
# Main: probe both, install what is missing in one apt run, start, wait, check MariaDB's login.

redis_state=up mysql_state=up
reply=$(redis_ping || true)
if [[ $reply == PONG ]]; then
  log "redis $REDIS_HOST:$REDIS_PORT answers PONG: left as it is"
elif port_open "$REDIS_HOST" "$REDIS_PORT"; then
  die "something listens on $REDIS_HOST:$REDIS_PORT but does not answer PING with PONG (${reply:-no answer}); free the port or set REDIS_PORT"
elif ! is_local "$REDIS_HOST"; then
  die "nothing answers on $REDIS_HOST:$REDIS_PORT, and that is not this machine: start Redis there or set REDIS_HOST"
else
  redis_state=down
  log "nothing answers on $REDIS_HOST:$REDIS_PORT"
fi

if mysql_answers; then
  log "mariadb $MYSQL_HOST:$MYSQL_PORT answers: left as it is"
elif port_open "$MYSQL_HOST" "$MYSQL_PORT"; then
  die "something listens on $MYSQL_HOST:$MYSQL_PORT but does not answer as MariaDB; free the port or set MYSQL_PORT"
elif ! is_local "$MYSQL_HOST"; then
  die "nothing answers on $MYSQL_HOST:$MYSQL_PORT, and that is not this machine: start MariaDB there or set MYSQL_HOST"
else
  mysql_state=down
  log "nothing answers on $MYSQL_HOST:$MYSQL_PORT"
fi

packages=()
if [[ $redis_state == down ]] && ! have redis-server; then packages+=(redis-server); fi
if [[ $mysql_state == down && ! -x $MARIADBD ]]; then
  packages+=(mariadb-server mariadb-client)
elif ! mysql_tools_present; then
  packages+=(mariadb-client) # needed to check root's login and the database
fi
installed_mysql=0
if ((${#packages[@]})); then
  apt_install "${packages[@]}"
  if [[ " ${packages[*]} " == *" mariadb-server "* ]]; then installed_mysql=1; fi
fi

# The package's own scripts may have started a service meanwhile: probe again before starting.
if [[ $redis_state == down ]] && ! redis_answers; then start_redis; fi
if [[ $mysql_state == down ]] && ! mysql_answers; then start_mariadb; fi

if [[ $redis_state == down ]]; then
  wait_for "redis $REDIS_HOST:$REDIS_PORT" redis_answers || {
    log_tail "$REDIS_LOG"
    die "redis did not answer on $REDIS_HOST:$REDIS_PORT within ${WAIT_SECONDS} s"
  }
fi
if [[ $mysql_state == down ]]; then
  wait_for "mariadb $MYSQL_HOST:$MYSQL_PORT" mysql_answers || {
    log_tail "$MYSQL_LOG"
    die "mariadb did not answer on $MYSQL_HOST:$MYSQL_PORT within ${WAIT_SECONDS} s"
  }
fi

fresh=0
if [[ $mysql_state == down ]] || ((installed_mysql)); then fresh=1; fi
ensure_mysql_login_and_database "$fresh"
log "services ready: redis $REDIS_HOST:$REDIS_PORT, mariadb $MYSQL_HOST:$MYSQL_PORT (root, database $MYSQL_DATABASE)"

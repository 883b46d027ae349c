#!/usr/bin/env bash
# npm run dev:stop [-- options]: stops what dev-environment-start started, cleanly and in order. The
# APIs first (SIGTERM: they stop taking requests and finish those in flight), so that no order comes
# in meanwhile; then the matchers together (SIGTERM: each finishes its batch, flushes it to MySQL and
# releases its shards, which takes up to ~20 s). What still runs after the bound is SIGKILLed. Pid
# files go; logs and the recorded settings stay. Nothing running: says so, exit 0.
#
# Redis and MariaDB are left alone: they are shared with tests, `npm start` and other environments.
#
# Options:
#   --timeout S   (DEV_STOP_TIMEOUT, default 30) seconds each group gets before SIGKILL
#   --services    also shut down Redis and MariaDB (only when REDIS_URL and MYSQL_URL name this
#                 machine): `redis-cli SHUTDOWN`, `mariadb-admin shutdown`; for the end of the day,
#                 never while anyone else uses them
# DEV_DIR moves the state (default .dev).
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/dev-environment.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dev-environment.sh"
cd "$(repo_root)"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

timeout=${DEV_STOP_TIMEOUT:-30} services=0
while (($#)); do
  case $1 in
    --timeout)
      (($# >= 2)) || die "--timeout needs a value"
      timeout=$2
      shift
      ;;
    --services) services=1 ;;
    -h | --help) usage && exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout must be a whole number of seconds, got '$timeout'"

take_lock
mapfile -t names < <(recorded_names)
if ((${#names[@]})); then
  stop_processes "$timeout" "${names[@]}"
  log "stopped (logs kept in $LOG_DIR)"
else
  log "nothing running (no pid files in $RUN_DIR)"
fi

((services)) || exit 0

# ---------------------------------------------------------------------------------------------
# --services: the servers themselves, on this machine only.

load_settings
parse_mysql_url "$MYSQL_URL"
redis_host=$(url_host "$REDIS_URL")
status=0
if ! is_local_host "$redis_host"; then
  warn "Redis at $redis_host is not on this machine: left running"
elif ! redis_client PING >/dev/null 2>&1; then
  log "Redis $(redact_url "$REDIS_URL") does not answer: nothing to shut down"
else
  log "shutting down Redis $(redact_url "$REDIS_URL")"
  redis_client SHUTDOWN >/dev/null 2>&1 || true
  if redis_client PING >/dev/null 2>&1; then warn "Redis still answers after SHUTDOWN" && status=1; fi
fi

if ! is_local_host "$DB_HOST"; then
  warn "MariaDB at $DB_HOST is not on this machine: left running"
elif ! db_client -e 'SELECT 1' >/dev/null 2>&1; then
  log "MariaDB $DB_HOST:$DB_PORT does not answer (or refuses $DB_USER): nothing shut down"
else
  log "shutting down MariaDB $DB_HOST:$DB_PORT"
  admin=mariadb-admin
  have mariadb-admin || admin=mysqladmin
  MYSQL_PWD=$DB_PASSWORD "$admin" --no-defaults --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" \
    --connect-timeout=3 shutdown || status=1
  deadline=$((SECONDS + 30))
  while port_in_use "$DB_PORT" && ((SECONDS < deadline)); do sleep 0.2; done
  if port_in_use "$DB_PORT"; then warn "MariaDB still listens on $DB_PORT after 30 s" && status=1; fi
fi
exit "$status"

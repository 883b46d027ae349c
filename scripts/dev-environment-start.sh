#!/usr/bin/env bash
# npm run dev:start [-- options]: the whole system on this machine, in the background. Makes sure
# Redis and MariaDB run (scripts/ensure-services.sh), installs dependencies when missing, migrates
# the database, starts the API and the matchers detached (pids in .dev/run, logs in .dev/log), waits
# until each one is ready, prints where things are and exits 0.
#   Already running: says so and changes nothing. Partly running (a process died): starts the
#   missing ones with the settings of the running ones.
#   A process that exits or is not ready in time: its log's last lines are printed, everything this
#   run started is stopped, and the exit code is 1.
#
# Options (or environment):
#   --apis N           (DEV_APIS, default 1)        API processes; api-k listens on PORT + k - 1
#   --matchers N       (DEV_MATCHERS, default 2)    matcher processes; they share the shards
#   --port P           (PORT, default 8080)         the first API's port
#   --metrics-port P   (METRICS_PORT, default 9464) the first matcher's /metrics and /healthz port;
#                                                   matcher-k gets METRICS_PORT + k - 1
#   --timeout S        (DEV_START_TIMEOUT, default 90) seconds to wait until every process is ready
#   --no-services      skip scripts/ensure-services.sh (Redis and MariaDB are managed elsewhere)
#   --no-migrate       skip the migrations
# The processes read the rest of the environment as usual (KEY_PREFIX, REDIS_URL, MYSQL_URL,
# WORKER_THREADS, LOG_LEVEL...: src/config/config.ts). DEV_DIR moves the state (default .dev).
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/dev-environment.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dev-environment.sh"
cd "$(repo_root)"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

services=1 migrations=1
timeout=${DEV_START_TIMEOUT:-90}
while (($#)); do
  case $1 in
    --apis | --matchers | --port | --metrics-port | --timeout)
      (($# >= 2)) || die "$1 needs a value (see --help)"
      case $1 in
        --apis) DEV_APIS=$2 ;;
        --matchers) DEV_MATCHERS=$2 ;;
        --port) PORT=$2 ;;
        --metrics-port) METRICS_PORT=$2 ;;
        --timeout) timeout=$2 ;;
      esac
      shift
      ;;
    --no-services) services=0 ;;
    --no-migrate) migrations=0 ;;
    -h | --help) usage && exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout must be a whole number of seconds, got '$timeout'"

take_lock
mkdir -p "$LOG_DIR"

# ---------------------------------------------------------------------------------------------
# What runs already, by its pid files. When something does, its recorded settings win over this
# shell's: the missing processes must join the same Redis prefix, database and port ranges.

live=()
for name in $(recorded_names); do
  state=0
  process_state "$name" || state=$?
  if ((state == 0)); then
    live+=("$name")
  else
    if ((state == 2)); then warn "$name: pid $PID now belongs to another process; pid file removed"; fi
    rm -f "$(pid_file "$name")"
  fi
done

SETTINGS=(DEV_APIS DEV_MATCHERS PORT METRICS_PORT KEY_PREFIX REDIS_URL MYSQL_URL WORKER_THREADS)
if ((${#live[@]})) && [[ -f $SETTINGS_FILE ]]; then
  requested=()
  for setting in "${SETTINGS[@]}"; do
    if [[ -n ${!setting:-} ]]; then requested+=("$setting=${!setting}"); fi
  done
  load_settings
  for pair in "${requested[@]}"; do
    setting=${pair%%=*}
    if [[ ${pair#*=} != "${!setting}" ]]; then
      warn "$setting=${pair#*=} ignored: the running environment has $setting=${!setting} (npm run dev:stop first to change it)"
    fi
  done
else
  current_settings
fi
require_count DEV_APIS "$DEV_APIS" 0
require_count DEV_MATCHERS "$DEV_MATCHERS" 0
((DEV_APIS + DEV_MATCHERS > 0)) || die "nothing to start: DEV_APIS and DEV_MATCHERS are both 0"
require_port PORT "$PORT"
require_port METRICS_PORT "$METRICS_PORT"
require_count WORKER_THREADS "$WORKER_THREADS" 1

missing=()
for name in $(process_names); do
  if [[ " ${live[*]} " != *" $name "* ]]; then missing+=("$name"); fi
done

print_summary() {
  local name port pid rel_log
  local root
  root=$(repo_root)
  echo
  for name in $(process_names); do
    port=$(port_of "$name")
    process_state "$name" || true
    pid=${PID:--}
    rel_log=$(log_file "$name")
    rel_log=${rel_log#"$root"/}
    if [[ $name == api-* ]]; then
      printf '  %-10s pid %-7s http://127.0.0.1:%s  (/v1/..., /openapi.json, /healthz, /readyz, /metrics)  log %s\n' \
        "$name" "$pid" "$port" "$rel_log"
    else
      printf '  %-10s pid %-7s http://127.0.0.1:%s  (/metrics, /healthz)  log %s\n' "$name" "$pid" "$port" "$rel_log"
    fi
  done
  local logs=${LOG_DIR#"$root"/}
  cat <<EOF

  Redis $(redact_url "$REDIS_URL") (keys under '$KEY_PREFIX:'), MySQL $(redact_url "$MYSQL_URL")
  Logs are JSON lines, one file per process:  tail -f $logs/*.log
  Tokens:  npm run -s token -- 1001   (an operator: npm run -s token -- 1 admin)
  Health:  npm run dev:status          Stop:  npm run dev:stop
EOF
}

if ((${#missing[@]} == 0)); then
  log "already running (${live[*]}); nothing changed"
  print_summary
  exit 0
fi
if ((${#live[@]})); then
  log "partly running (${live[*]}): starting ${missing[*]} with the running environment's settings"
fi

for name in "${missing[@]}"; do
  port=$(port_of "$name")
  if port_in_use "$port"; then
    if [[ $name == api-* ]]; then flag=--port; else flag=--metrics-port; fi
    die "port $port ($name) is already in use (another dev environment, npm start, or another program?): choose others with $flag"
  fi
done

# ---------------------------------------------------------------------------------------------
# Dependencies, services, schema.

ensure_node_modules
export REDIS_URL MYSQL_URL KEY_PREFIX WORKER_THREADS
# Without the lock's descriptor: a Redis or MariaDB that ensure-services starts would hold it forever.
if ((services)); then bash scripts/ensure-services.sh 9>&-; fi
if ((migrations)); then node --import tsx scripts/migrate.ts 9>&-; fi

# ---------------------------------------------------------------------------------------------
# Launch, detached: its own session (setsid), stdin from /dev/null, output to its log, so that
# closing the terminal or the caller's pipes does not touch it. `exec` keeps the pid: $! is node's.
# The lock's descriptor (9) is closed in the child: a process holding it would lock out every later
# start and stop for as long as it runs.

started=()
succeeded=0
on_exit() {
  if ((!succeeded && ${#started[@]})); then
    log "stopping what this start started: ${started[*]}"
    stop_processes 30 "${started[@]}"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# Matchers report readiness in their log at level info: a quieter LOG_LEVEL would hide it.
matcher_log_level=${LOG_LEVEL:-info}
case $matcher_log_level in
  warn | error | fatal | silent)
    log "matchers log at info (not LOG_LEVEL=$matcher_log_level): their readiness is read from their log"
    matcher_log_level=info
    ;;
esac

detach=()
if have setsid; then detach=(setsid); else detach=(nohup); fi

save_settings
for name in "${missing[@]}"; do
  log_path=$(log_file "$name")
  if [[ -s $log_path ]]; then mv -f "$log_path" "$log_path.1"; fi
  if [[ $name == api-* ]]; then
    # The API serves /metrics on its own port; METRICS_PORT belongs to the matchers.
    (exec env -u METRICS_PORT PORT="$(port_of "$name")" "${detach[@]}" node --import tsx "$API_ENTRY" \
      </dev/null >"$log_path" 2>&1 9>&-) &
  else
    (exec env METRICS_PORT="$(port_of "$name")" LOG_LEVEL="$matcher_log_level" "${detach[@]}" \
      node --import tsx "$MATCHER_ENTRY" </dev/null >"$log_path" 2>&1 9>&-) &
  fi
  record_pid "$name" $!
  started+=("$name")
  log "started $name (pid $!), log $log_path"
done

# ---------------------------------------------------------------------------------------------
# Wait: each API answers 200 on /readyz; each matcher has every thread ready (its log says so) and
# answers 200 on /healthz.

# Prints the last lines of each named process's log, then exits 1 (the EXIT trap stops the rest).
fail() {
  local why=$1 name
  shift
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$why" >&2
  for name in "$@"; do
    printf '\n%s: last lines of %s:\n' "$SCRIPT_NAME" "$(log_file "$name")" >&2
    if [[ -s $(log_file "$name") ]]; then tail -n 30 "$(log_file "$name")" >&2; else echo '  (empty)' >&2; fi
  done
  echo >&2
  exit 1
}

is_ready() {
  local name=$1 port
  port=$(port_of "$name")
  if [[ $name == api-* ]]; then
    [[ $(http_code "http://127.0.0.1:$port/readyz") == 200 ]]
  else
    # /healthz is liveness only (it answers before the threads have joined): the log says when they
    # have. A matcher that could not bind its metrics port runs on without them (000), as it logs.
    (($(ready_threads "$(log_file "$name")") >= WORKER_THREADS)) || return 1
    local code
    code=$(http_code "http://127.0.0.1:$port/healthz")
    [[ $code == 200 || $code == 000 ]]
  fi
}

pending=("${started[@]}")
deadline=$((SECONDS + timeout))
while ((${#pending[@]})); do
  still=()
  for name in "${pending[@]}"; do
    if ! process_state "$name"; then fail "$name exited while starting" "$name"; fi
    if is_ready "$name"; then log "$name is ready"; else still+=("$name"); fi
  done
  pending=("${still[@]+"${still[@]}"}")
  ((${#pending[@]})) || break
  if ((SECONDS >= deadline)); then fail "${pending[*]} not ready within ${timeout} s" "${pending[@]}"; fi
  sleep 0.5
done

succeeded=1
log "running in the background; state in ${DEV_DIR}"
print_summary

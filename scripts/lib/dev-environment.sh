# shellcheck shell=bash
# What scripts/dev-environment-{start,stop,status}.sh share: where the state lives, the settings of
# the last start, which process a pid file names (and whether it is still that process), HTTP probes
# and the bounded, ordered stop. Source it after scripts/lib/common.sh; it defines functions and the
# paths below, nothing else.
#
# State, under DEV_DIR (default <repo>/.dev, gitignored):
#   run/<name>.pid    two lines: the pid, then the process's start time (so that a pid the kernel
#                     has since given to another process is never taken for ours, nor signalled)
#   run/settings      the settings of the last start (shell assignments), read by status and stop
#   run/lock          held by start and stop, so that two of them never interleave
#   log/<name>.log    the process's stdout and stderr (pino JSON lines); the previous run's in .log.1
# Process names: api-1..N (API_ENTRY) and matcher-1..M (MATCHER_ENTRY).

DEV_DIR=${DEV_DIR:-$(repo_root)/.dev}
RUN_DIR=$DEV_DIR/run
LOG_DIR=$DEV_DIR/log
SETTINGS_FILE=$RUN_DIR/settings
API_ENTRY=src/processes/api-process.ts
MATCHER_ENTRY=src/processes/matcher-process.ts

# The defaults of src/config/config.ts for what these scripts must know themselves (ports to probe,
# where to look for streams and checkpoints). METRICS_PORT is the first matcher's /metrics and
# /healthz port; matcher-k gets METRICS_PORT + k - 1.
DEFAULT_PORT=8080
DEFAULT_METRICS_PORT=9464
DEFAULT_KEY_PREFIX='ex'
DEFAULT_REDIS_URL=redis://127.0.0.1:6379
DEFAULT_MYSQL_URL=mysql://root@127.0.0.1:3306/test

# The settings that a start records: the environment (or the defaults) now.
current_settings() {
  DEV_APIS=${DEV_APIS:-1}
  DEV_MATCHERS=${DEV_MATCHERS:-2}
  PORT=${PORT:-$DEFAULT_PORT}
  METRICS_PORT=${METRICS_PORT:-$DEFAULT_METRICS_PORT}
  KEY_PREFIX=${KEY_PREFIX:-$DEFAULT_KEY_PREFIX}
  REDIS_URL=${REDIS_URL:-$DEFAULT_REDIS_URL}
  MYSQL_URL=${MYSQL_URL:-$DEFAULT_MYSQL_URL}
  WORKER_THREADS=${WORKER_THREADS:-1}
}

save_settings() {
  local name
  {
    printf '# written by dev-environment-start on %s\n' "$(date -u +%FT%TZ)"
    for name in DEV_APIS DEV_MATCHERS PORT METRICS_PORT KEY_PREFIX REDIS_URL MYSQL_URL WORKER_THREADS; do
      printf '%s=%q\n' "$name" "${!name}"
    done
  } >"$SETTINGS_FILE"
}

# The recorded settings when a start left them, else the environment's: status and stop look at what
# was started, whatever the shell they run in.
load_settings() {
  # shellcheck source=/dev/null
  if [[ -f $SETTINGS_FILE ]]; then source "$SETTINGS_FILE"; fi
  current_settings
}

require_count() {
  if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > 64)); then die "$1 must be a whole number from $3 to 64, got '$2'"; fi
}
require_port() {
  if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then die "$1 must be a TCP port, got '$2'"; fi
}

process_names() {
  local i
  for ((i = 1; i <= DEV_APIS; i++)); do printf 'api-%d\n' "$i"; done
  for ((i = 1; i <= DEV_MATCHERS; i++)); do printf 'matcher-%d\n' "$i"; done
}

# api-k listens on PORT + k - 1; matcher-k serves /metrics and /healthz on METRICS_PORT + k - 1.
port_of() {
  local index=${1##*-}
  if [[ $1 == api-* ]]; then echo $((PORT + index - 1)); else echo $((METRICS_PORT + index - 1)); fi
}
entry_of() { if [[ $1 == api-* ]]; then echo "$API_ENTRY"; else echo "$MATCHER_ENTRY"; fi; }
pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

# The names of every pid file present, APIs first (the order stop needs).
recorded_names() {
  local file
  for file in "$RUN_DIR"/api-*.pid "$RUN_DIR"/matcher-*.pid; do
    if [[ -f $file ]]; then basename "$file" .pid; fi
  done
}

# ---------------------------------------------------------------------------------------------
# Processes

# The process's start time as the kernel records it (clock ticks since boot; `ps` where there is no
# /proc), and its state; fails when there is no such process. A pid is only ever ours when both the
# pid and this start time match what the pid file recorded.
proc_start() {
  if [[ -r /proc/self/stat ]]; then
    local stat fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    read -r -a fields <<<"${stat##*) }" # the command name may hold spaces and parentheses
    printf '%s\n' "${fields[19]}"
  else
    ps -p "$1" -o lstart= 2>/dev/null | grep . || return 1
  fi
}

# True when the process exists and is not a zombie (an exited process its parent has not reaped yet:
# its pid still answers `kill -0`).
proc_alive() {
  local state
  if [[ -r /proc/self/stat ]]; then
    state=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    state=${state##*) }
    [[ ${state:0:1} != Z ]]
  else
    state=$(ps -p "$1" -o stat= 2>/dev/null) || return 1
    [[ -n $state && $state != Z* ]]
  fi
}

# Seconds since the process started.
proc_uptime() {
  if [[ -r /proc/uptime ]]; then
    local start now
    start=$(proc_start "$1") || return 1
    read -r now _ </proc/uptime
    echo $((${now%.*} - start / $(getconf CLK_TCK)))
  else
    ps -p "$1" -o etimes= 2>/dev/null | tr -d ' '
  fi
}

human_duration() {
  local s=$1
  if ((s >= 86400)); then
    printf '%dd%02dh' $((s / 86400)) $((s % 86400 / 3600))
  elif ((s >= 3600)); then
    printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
  elif ((s >= 60)); then
    printf '%dm%02ds' $((s / 60)) $((s % 60))
  else printf '%ds' "$s"; fi
}

record_pid() { printf '%s\n%s\n' "$2" "$(proc_start "$2")" >"$(pid_file "$1")"; }

# Sets PID to the recorded pid of the named process and returns 0 when that process still runs (same
# start time, not a zombie). Returns 1 when there is no pid file or the process is gone, 2 when the
# pid now belongs to another process.
process_state() {
  local file start recorded_start
  file=$(pid_file "$1")
  PID=''
  [[ -f $file ]] || return 1
  { read -r PID && read -r recorded_start; } <"$file" || true
  [[ $PID =~ ^[0-9]+$ ]] || return 1
  start=$(proc_start "$PID") || return 1
  [[ $start == "$recorded_start" ]] || return 2
  proc_alive "$PID" || return 1
}

# Sends SIGTERM to the named processes together, waits up to $1 seconds for them all to exit, then
# SIGKILLs what remains; removes their pid files. Only processes that are still ours are signalled.
stop_group() {
  local timeout=$1 name state deadline
  shift
  local -a live=() pids=()
  for name in "$@"; do
    state=0
    process_state "$name" || state=$?
    if ((state == 0)); then
      log "stopping $name (pid $PID): SIGTERM"
      kill -TERM "$PID" 2>/dev/null || true
      live+=("$name") pids+=("$PID")
    elif ((state == 2)); then
      warn "$name: pid $PID now belongs to another process; not signalled, pid file removed"
      rm -f "$(pid_file "$name")"
    else
      rm -f "$(pid_file "$name")"
    fi
  done
  ((${#live[@]})) || return 0
  deadline=$((SECONDS + timeout))
  local i waiting
  while :; do
    waiting=0
    for i in "${!live[@]}"; do
      if process_state "${live[$i]}"; then waiting=1; fi
    done
    ((waiting && SECONDS < deadline)) || break
    sleep 0.2
  done
  for i in "${!live[@]}"; do
    name=${live[$i]}
    if process_state "$name"; then
      warn "$name (pid ${pids[$i]}) still runs after ${timeout} s: SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
      deadline=$((SECONDS + 5))
      while process_state "$name" && ((SECONDS < deadline)); do sleep 0.1; done
    else
      log "$name stopped"
    fi
    rm -f "$(pid_file "$name")"
  done
}

# The APIs first, so that no new order comes in, then the matchers together: each finishes its batch,
# flushes it to MySQL and releases its shards (their own stop gives up after 20 s).
stop_processes() {
  local timeout=$1 name
  shift
  local -a apis=() matchers=()
  for name in "$@"; do
    if [[ $name == api-* ]]; then apis+=("$name"); else matchers+=("$name"); fi
  done
  if ((${#apis[@]})); then stop_group "$timeout" "${apis[@]}"; fi
  if ((${#matchers[@]})); then stop_group "$timeout" "${matchers[@]}"; fi
}

# Holds run/lock for the rest of the script (released when it exits), so a start and a stop never
# run at once; without flock (not Linux) the lock is skipped.
take_lock() {
  mkdir -p "$RUN_DIR"
  have flock || return 0
  exec 9>"$RUN_DIR/lock"
  flock -w 60 9 || die "another dev-environment start or stop holds $RUN_DIR/lock"
}

# ---------------------------------------------------------------------------------------------
# Probes

# The HTTP status code of a GET (000 when nothing answers), within 3 s.
http_code() {
  if have curl; then
    curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true
  else
    local rest=${1#http://} hostport path code
    hostport=${rest%%/*} path=/${rest#*/}
    # shellcheck disable=SC2016
    code=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$0" >&3 &&
      head -n 1 <&3' "${hostport%:*}" "${hostport##*:}" "$path" 2>/dev/null | awk '{ print $2 }')
    printf '%s' "${code:-000}"
  fi
}

# True when something accepts connections on 127.0.0.1:port.
# shellcheck disable=SC2016
port_in_use() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null; }

# Matcher threads that said they are ready in the log (src/processes/matcher-process.ts).
ready_threads() { grep -c '"msg":"matcher thread ready"' "$1" 2>/dev/null || true; }

# The URL without its password, for printing.
redact_url() { sed -E 's#(://[^:/@]*:)[^@/]*@#\1***@#' <<<"$1"; }

urldecode() { printf '%b' "${1//%/\\x}"; }

# DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_NAME from a mysql:// URL, with the defaults of
# src/mysql/connection.ts.
# shellcheck disable=SC2034 # the DB_* variables are for the caller
parse_mysql_url() {
  local rest=${1#*://} credentials='' hostport
  rest=${rest%%\?*}
  if [[ $rest == *@* ]]; then credentials=${rest%@*} rest=${rest##*@}; fi
  hostport=${rest%%/*}
  DB_NAME=''
  if [[ $rest == */* ]]; then DB_NAME=$(urldecode "${rest#*/}"); fi
  DB_USER=$(urldecode "${credentials%%:*}") DB_PASSWORD=''
  if [[ $credentials == *:* ]]; then DB_PASSWORD=$(urldecode "${credentials#*:}"); fi
  DB_USER=${DB_USER:-root}
  if [[ $hostport == \[* ]]; then # [::1]:3306
    DB_HOST=${hostport%%]*} DB_HOST=${DB_HOST#[} DB_PORT=${hostport##*]} DB_PORT=${DB_PORT#:}
  else
    DB_HOST=${hostport%%:*} DB_PORT=''
    if [[ $hostport == *:* ]]; then DB_PORT=${hostport##*:}; fi
  fi
  DB_HOST=${DB_HOST:-127.0.0.1} DB_PORT=${DB_PORT:-3306}
}

# The MariaDB client on the URL's server, without option files (a ~/.my.cnf cannot change what it
# does), batch output without column names; the password through the environment, not argv.
db_client() {
  local client=mariadb
  have mariadb || client=mysql
  MYSQL_PWD=$DB_PASSWORD "$client" --no-defaults --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" \
    --connect-timeout=3 -N -B "$@"
}

# redis-cli on REDIS_URL (password, database and all), raw output.
redis_client() { timeout 5 redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }

# The host of a URL, without credentials, port or path.
url_host() {
  local rest=${1#*://}
  rest=${rest##*@} rest=${rest%%/*}
  if [[ $rest == \[* ]]; then rest=${rest%%]*} && printf '%s' "${rest#[}"; else printf '%s' "${rest%%:*}"; fi
}
is_local_host() { [[ $1 == 127.* || $1 == localhost || $1 == ::1 || $1 == '' ]]; }
url_port() {
  local rest=${1#*://}
  rest=${rest##*@} rest=${rest%%/*} rest=${rest##*]}
  if [[ $rest == *:* ]]; then printf '%s' "${rest##*:}"; else printf '%s' "$2"; fi
}

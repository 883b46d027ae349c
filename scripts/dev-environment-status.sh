#!/usr/bin/env bash
# npm run dev:status: what dev-environment-start started and whether it is healthy.
#   processes  each one: running or stopped (its pid alive and still the process the pid file
#              recorded), uptime, health: an API answers /healthz and /readyz; a matcher answers
#              /healthz on its METRICS_PORT, or, where it serves none, its log says every thread is
#              ready
#   services   Redis answers PING; MariaDB lets the URL's user into the URL's database
#   streams    per symbol: the stream's length, how many entries are past the MySQL checkpoint (the
#              writer's backlog: 0 when MySQL has caught up) and both positions
# Exit code 0 when every process runs and is healthy and both services answer, 1 otherwise. Reads
# the settings of the last start (.dev/run/settings); DEV_DIR moves the state (default .dev).
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/dev-environment.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dev-environment.sh"
cd "$(repo_root)"

case ${1:-} in
  '') ;;
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
  *) die "unknown option '$1' (see --help)" ;;
esac

problems=()
problem() { problems+=("$*"); }
load_settings

# ---------------------------------------------------------------------------------------------
# Processes: those the last start named, and any other pid file left.

names=()
if [[ -f $SETTINGS_FILE ]]; then mapfile -t names < <(process_names); fi
for name in $(recorded_names); do
  if [[ " ${names[*]} " != *" $name "* ]]; then names+=("$name"); fi
done

matcher_health() {
  local name=$1 port code
  port=$(port_of "$name")
  code=$(http_code "http://127.0.0.1:$port/healthz")
  if [[ $code == 200 ]]; then
    echo "healthy (/healthz 200 on :$port; threads ready per its log: $(ready_threads "$(log_file "$name")")/$WORKER_THREADS)"
  elif [[ $code != 000 ]]; then
    echo "UNHEALTHY (/healthz $code on :$port)"
  elif (($(ready_threads "$(log_file "$name")") >= WORKER_THREADS)); then
    echo "healthy (its log: all $WORKER_THREADS thread(s) ready; no /healthz on :$port)"
  else
    echo "NOT READY (its log: threads not all ready yet; no /healthz on :$port)"
  fi
}

api_health() {
  local port live ready
  port=$(port_of "$1")
  live=$(http_code "http://127.0.0.1:$port/healthz")
  ready=$(http_code "http://127.0.0.1:$port/readyz")
  if [[ $live == 200 && $ready == 200 ]]; then
    echo "healthy (/healthz 200, /readyz 200 on :$port)"
  else
    echo "UNHEALTHY (/healthz $live, /readyz $ready on :$port)"
  fi
}

echo "processes ($DEV_DIR)"
if ((${#names[@]} == 0)); then
  echo "  none: the dev environment is stopped (npm run dev:start starts it)"
  problem "stopped"
else
  running=0
  printf '  %-10s %-8s %-9s %-8s %s\n' name pid state uptime health
  for name in "${names[@]}"; do
    state=0
    process_state "$name" || state=$?
    if ((state == 0)); then
      running=$((running + 1))
      if [[ $name == api-* ]]; then health=$(api_health "$name"); else health=$(matcher_health "$name"); fi
      if [[ $health != healthy* ]]; then problem "$name ${health%% (*}"; fi
      printf '  %-10s %-8s %-9s %-8s %s\n' "$name" "$PID" running "$(human_duration "$(proc_uptime "$PID" || echo 0)")" "$health"
    else
      why='-'
      if ((state == 2)); then
        why="pid $PID now belongs to another process"
      elif [[ -n $PID ]]; then
        why="exited without dev:stop (see $(log_file "$name"))"
      fi
      printf '  %-10s %-8s %-9s %-8s %s\n' "$name" "${PID:--}" stopped - "$why"
      problem "$name stopped"
    fi
  done
  if ((running == 0)); then echo "  the dev environment is stopped (npm run dev:start starts it)"; fi
fi

# ---------------------------------------------------------------------------------------------
# Services.

echo
echo services
redis_ok=0
if have redis-cli; then
  reply=$(redis_client PING 2>&1 || true)
else
  # shellcheck disable=SC2016
  reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && head -n 1 <&3' \
    "$(url_host "$REDIS_URL")" "$(url_port "$REDIS_URL" 6379)" 2>/dev/null | tr -d '\r+' || true)
fi
if [[ $reply == PONG ]]; then
  redis_ok=1
  printf '  %-8s %-40s %s\n' redis "$(redact_url "$REDIS_URL")" 'PONG'
else
  printf '  %-8s %-40s %s\n' redis "$(redact_url "$REDIS_URL")" "DOWN (${reply:-no answer})"
  problem "redis down"
fi

parse_mysql_url "$MYSQL_URL"
mysql_ok=0
if ! have mariadb && ! have mysql; then
  printf '  %-8s %-40s %s\n' mariadb "$DB_HOST:$DB_PORT" 'UNKNOWN (no mariadb client: apt-get install mariadb-client)'
  problem "mariadb unknown"
elif error=$(db_client "$DB_NAME" -e 'SELECT 1' 2>&1 >/dev/null); then
  mysql_ok=1
  printf '  %-8s %-40s %s\n' mariadb "$DB_HOST:$DB_PORT" "$DB_USER logs in, database ${DB_NAME:-(none)}"
else
  printf '  %-8s %-40s %s\n' mariadb "$DB_HOST:$DB_PORT" "DOWN ($(head -n 1 <<<"$error"))"
  problem "mariadb down"
fi

# ---------------------------------------------------------------------------------------------
# Streams against MySQL's checkpoints. Streams are trimmed (MINID) at the durable checkpoint, which
# keeps that entry: usually the backlog follows from the first entry and the length; only an
# untrimmed stream (TRIM_STREAMS=false) needs its entries after the checkpoint counted, up to a cap.

BACKLOG_COUNT_CAP=10000

# -1, 0 or 1 as stream id $1 is before, equal to or after $2.
id_cmp() {
  local a_ms=${1%-*} a_seq=${1#*-} b_ms=${2%-*} b_seq=${2#*-}
  if ((a_ms != b_ms)); then ((a_ms < b_ms)) && echo -1 || echo 1; return; fi
  if ((a_seq != b_seq)); then ((a_seq < b_seq)) && echo -1 || echo 1; return; fi
  echo 0
}

backlog_of() {
  local key=$1 length=$2 first=$3 checkpoint=$4 after count
  after=$(id_cmp "$first" "$checkpoint")
  if ((after > 0)); then
    echo "$length"
  elif ((after == 0)); then
    echo $((length - 1))
  else
    count=$(redis_client XRANGE "$key" "($checkpoint" + COUNT $((BACKLOG_COUNT_CAP + 1)) | grep -cE '^[0-9]+-[0-9]+$' || true)
    if ((count > BACKLOG_COUNT_CAP)); then echo ">$BACKLOG_COUNT_CAP"; else echo "$count"; fi
  fi
}

echo
echo "streams (KEY_PREFIX $KEY_PREFIX; backlog: entries past MySQL's checkpoint)"
if ((!redis_ok)) || ! have redis-cli; then
  echo "  not shown: $( ((redis_ok)) && echo 'redis-cli is not installed' || echo 'Redis does not answer')"
else
  declare -A checkpoints=()
  if ((mysql_ok)); then
    if rows=$(db_client "$DB_NAME" -e 'SELECT symbol, last_stream_id FROM symbol_checkpoints' 2>/dev/null); then
      while IFS=$'\t' read -r symbol id; do
        if [[ -n $symbol ]]; then checkpoints[$symbol]=$id; fi
      done <<<"$rows"
    else
      echo "  (no symbol_checkpoints table in ${DB_NAME:-the database}: run npm run migrate)"
    fi
  fi
  mapfile -t symbols < <(redis_client HKEYS "$KEY_PREFIX:{markets}" | grep . | sort || true)
  if ((${#symbols[@]} == 0)); then
    echo "  no markets under '$KEY_PREFIX:' yet (the API seeds them at its first start)"
  else
    printf '  %-12s %8s %8s  %-22s %-22s %s\n' symbol length backlog checkpoint 'last entry' MySQL
    for symbol in "${symbols[@]}"; do
      key="$KEY_PREFIX:orders:{$symbol}"
      length=$(redis_client XLEN "$key")
      checkpoint=${checkpoints[$symbol]:-0-0}
      if ((length == 0)); then
        printf '  %-12s %8s %8s  %-22s %-22s %s\n' "$symbol" 0 0 "$checkpoint" - 'caught up (empty stream)'
        continue
      fi
      first=$(redis_client XRANGE "$key" - + COUNT 1 | head -n 1)
      last=$(redis_client XREVRANGE "$key" + - COUNT 1 | head -n 1)
      if ((mysql_ok == 0)); then
        backlog='?' verdict='unknown (MariaDB does not answer)'
      elif (($(id_cmp "$checkpoint" "$last") > 0)); then
        backlog='?' verdict='CHECKPOINT AHEAD OF THE STREAM (Redis lost entries? run npm run audit)'
        problem "$symbol checkpoint ahead of its stream"
      else
        backlog=$(backlog_of "$key" "$length" "$first" "$checkpoint")
        if [[ $backlog == 0 ]]; then verdict='caught up'; else verdict='behind'; fi
      fi
      printf '  %-12s %8s %8s  %-22s %-22s %s\n' "$symbol" "$length" "$backlog" "$checkpoint" "$last" "$verdict"
    done
  fi
fi

echo
if ((${#problems[@]})); then
  printf 'unhealthy: %s' "${problems[0]}"
  if ((${#problems[@]} > 1)); then printf ', %s' "${problems[@]:1}"; fi
  echo
  exit 1
fi
echo 'healthy: every process runs and answers, Redis and MariaDB answer'

#!/usr/bin/env bash
# The whole gate, what `npm test` runs: dependencies, services, typecheck, lint, formatting,
# circular imports, then the tests by cost: test/unit, then test/integration, test/e2e and
# test/monitoring when present.
# Stops at the first failing step with its exit code. Mocha's options come from .mocharc.json.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$(repo_root)"

started=$SECONDS
current_step=''
report_failure() {
  local code=$?
  if ((code)); then printf '\nnpm test: FAILED at "%s" (exit %d)\n' "$current_step" "$code" >&2; fi
}
trap report_failure EXIT

run() {
  current_step=$1
  shift
  step "$current_step"
  "$@"
}

# True when the directory holds at least one file matching the pattern.
has_files() { [[ -d $1 && -n $(find "$1" -type f -name "$2" -print -quit) ]]; }

ensure_node_modules
export PATH="$PWD/node_modules/.bin:$PATH"

run 'services: Redis and MariaDB' bash scripts/ensure-services.sh
run 'tools: prometheus and promtool (test/monitoring)' bash scripts/ensure-prometheus.sh
run 'migrations: scripts/migrate.ts' node --import tsx scripts/migrate.ts
run 'typecheck: tsc --noEmit' tsc --noEmit
run 'lint: eslint .' eslint .
run 'format: prettier --check .' prettier --check .

# madge fails on a directory that does not exist, so only the folders that hold TypeScript are given.
madge_dirs=()
for dir in src workers; do
  if has_files "$dir" '*.ts'; then madge_dirs+=("$dir"); fi
done
if ((${#madge_dirs[@]})); then
  run "circular imports: madge ${madge_dirs[*]}" \
    madge --circular --extensions ts --ts-config tsconfig.json --no-spinner "${madge_dirs[@]}"
fi

# Unit tests are required; the slower tiers run when they exist.
has_files test/unit '*.test.ts' || {
  current_step='unit tests'
  die "no unit tests found (test/unit/**/*.test.ts)"
}
# Mocha's summary ("N passing", "N failing", "N pending") of every tier is added up into one plain
# closing line, "N passed, N failed, N skipped", which CI reads.
passed=0 failed=0 skipped=0
summary_log=$(mktemp)
count() { { grep -Eo "^ +[0-9]+ $1" "$summary_log" || true; } | awk '{ s += $1 } END { print s + 0 }'; }
print_totals() { printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"; }
for tier in unit integration e2e monitoring; do
  if has_files "test/$tier" '*.test.ts'; then
    current_step="$tier tests: mocha test/$tier"
    step "$current_step"
    set +e
    mocha --forbid-only "test/$tier/**/*.test.ts" 2>&1 | tee "$summary_log"
    code=${PIPESTATUS[0]}
    set -e
    passed=$((passed + $(count passing))) failed=$((failed + $(count failing))) skipped=$((skipped + $(count pending)))
    if ((code)); then
      print_totals
      exit "$code"
    fi
  fi
done
rm -f "$summary_log"

current_step=''
printf '\nnpm test: all checks passed in %d s\n' $((SECONDS - started))
print_totals

# shellcheck shell=bash
# Helpers shared by scripts/*.sh. Source it; it defines functions and sets nothing else.

# The script's name, for every message it prints.
SCRIPT_NAME=${SCRIPT_NAME:-$(basename "$0" .sh)}

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*"; }
warn() { printf '%s: warning: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# Banner of one step, so a failure in a long log is easy to place.
step() { printf '\n==> %s\n' "$*"; }

# The repository root, whatever directory the script is called from.
repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

# Node must satisfy package.json's "engines" (>= 20.19: require(esm), import attributes).
require_node() {
  have node || die "Node.js is not installed; install Node >= 20.19 (https://nodejs.org) and retry."
  node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1);
  ' || die "Node $(node -v) is too old: this project needs Node >= 20.19."
}

# Installs dependencies from the lockfile when node_modules is missing or older than package-lock.json.
# npm writes node_modules/.package-lock.json on every install, so its age is the install's age.
ensure_node_modules() {
  local root
  root=$(repo_root)
  require_node
  if [[ ! -f $root/node_modules/.package-lock.json ]]; then
    log "node_modules is missing: npm ci"
  elif [[ $root/package-lock.json -nt $root/node_modules/.package-lock.json ]]; then
    log "package-lock.json is newer than node_modules: npm ci"
  else
    return 0
  fi
  (cd "$root" && npm ci --no-audit --no-fund)
}

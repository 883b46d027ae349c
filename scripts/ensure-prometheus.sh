#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` are on the PATH, and changes nothing when they already are.
#
# The monitoring tests (test/monitoring) check the alert rules with promtool and run a real
# Prometheus against the running system. When either binary is missing, the script installs Debian's
# `prometheus` package (`apt-get update`, then `apt-get install --no-install-recommends`: the
# recommended node exporter would start a daemon the tests do not need) without starting its
# service: the tests start their own Prometheus on a free port with a temporary configuration.
# Needs root to install; exits non-zero with the reason when it cannot succeed.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if have prometheus && have promtool; then
  log "$(promtool --version 2>&1 | head -n 1): present"
  exit 0
fi

[[ $(id -u) == 0 ]] ||
  die "prometheus/promtool missing; installing needs root (this script does not use sudo): apt-get install -y prometheus"
have apt-get || die "prometheus/promtool missing and apt-get is not available: install Prometheus 2.x with your package manager"

# Keep the package's init script from starting Prometheus with its stock configuration (port 9090).
POLICY_RC_D=/usr/sbin/policy-rc.d
remove_policy=0
cleanup() { if ((remove_policy)); then rm -f "$POLICY_RC_D"; fi; }
trap cleanup EXIT
if [[ ! -e $POLICY_RC_D ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC_D" && chmod 755 "$POLICY_RC_D" && remove_policy=1
fi

log "apt-get update"
apt-get update -q || die "apt-get update failed (network, or the Debian mirrors unreachable?)"
log "apt-get install prometheus"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus ||
  die "apt-get install prometheus failed (see the messages above)"

if ! have prometheus || ! have promtool; then
  die "the prometheus package is installed but prometheus/promtool are not on the PATH"
fi
log "$(promtool --version 2>&1 | head -n 1): installed"

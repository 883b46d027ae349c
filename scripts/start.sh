#!/usr/bin/env bash
# What `npm start` runs: installs dependencies if needed, makes sure Redis and MariaDB answer,
# then runs the project. Until the HTTP API and the matcher workers exist, that is a short
# demonstration of the matching engine (scripts/engine-demo.ts).
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$(repo_root)"

ensure_node_modules
bash scripts/ensure-services.sh
echo
exec node --import tsx scripts/engine-demo.ts

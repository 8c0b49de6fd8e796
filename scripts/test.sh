#!/usr/bin/env bash
# Builds crier with warnings as errors and runs the whole test suite (unit, conformance, e2e),
# then the peer tests against the real local Bluesky network, then builds it again under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the suite once more, then runs every
# fuzz harness for 20 seconds (clang + libFuzzer) so that a regression in a parser fails too.
# Usage: scripts/test.sh [--no-sanitize] [--no-peer] [--no-fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRIER_WERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300 -LE peer

case " $* " in *" --no-peer "*) ;; *) bash scripts/peer-test.sh build ;; esac

case " $* " in *" --no-sanitize "*) ;; *)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCRIER_WERROR=ON -DCRIER_SANITIZE=ON
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600 -LE peer
  ;;
esac

case " $* " in *" --no-fuzz "*) ;; *) bash scripts/fuzz.sh 20 ;; esac

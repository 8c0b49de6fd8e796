#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, AddressSanitizer + UndefinedBehaviorSanitizer, leak
# checks on) in build-fuzz/ and runs each for SECONDS (default 20), from the seeds kept in
# tests/fuzz/corpus/NAME and seeds made from the real networks' recorded traffic in
# ../shared/fixtures/recorded. Any crash, leak, sanitizer report, hang (10 s on one input) or
# exception other than crier::Error fails the run, and the input that did it is kept in
# build-fuzz/findings/. Prints how many inputs each harness ran.
# Usage: scripts/fuzz.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
cxx=${CRIER_FUZZ_CXX:-$(command -v clang++-14 || command -v clang++)}
CXX=$cxx cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRIER_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$jobs"
if [ -d ../shared/fixtures/recorded ]; then
  rm -rf build-fuzz/seeds
  python3 scripts/fuzz_seeds.py ../shared/fixtures/recorded build-fuzz/seeds
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(when recurrence text facets html sse config template image output providers plugin)
fi
mkdir -p build-fuzz/findings
failed=0
printf '%-12s %14s %10s\n' harness executions exec/s
for name in "${names[@]}"; do
  mkdir -p "build-fuzz/corpus/$name"
  dirs=("build-fuzz/corpus/$name" "tests/fuzz/corpus/$name")
  [ -d "build-fuzz/seeds/$name" ] && dirs+=("build-fuzz/seeds/$name")
  log="build-fuzz/findings/$name.log"
  # Inputs as large as what each parser meets: a time or a rule is short, a post is a few kB,
  # a page or an API answer can be large.
  case $name in
    when | recurrence) max_len=512 ;;
    text | facets | template | output) max_len=8192 ;;
    *) max_len=65536 ;;
  esac
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "build-fuzz/tests/fuzz/fuzz_$name" "${dirs[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$max_len" -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$name-" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    printf '%-12s %14s %10s\n' "$name" "${runs:-?}" "${speed:-?}"
  else
    failed=1
    printf '%-12s %14s\n' "$name" "FAILED"
    grep -E "ERROR|escaped|runtime error|SUMMARY|Test unit written" "$log" | head -8 >&2 || true
  fi
done
exit $failed

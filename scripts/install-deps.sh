#!/usr/bin/env bash
# Installs what crier needs to build, test and benchmark, from Debian 12 packages only.
# Run as root (or with sudo). Idempotent.
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config git ca-certificates tzdata
  libcli11-dev nlohmann-json3-dev libsqlite3-dev libcurl4-openssl-dev libtomlplusplus-dev
  libspdlog-dev libfmt-dev catch2 libutf8proc-dev libhowardhinnant-date-dev
  libcpp-httplib-dev libkainjow-mustache-dev scdoc nettle-dev libpoppler-cpp-dev
  python3 sqlite3 time curl
  clang-14 libclang-rt-14-dev
)
missing=()
# Node.js for the test servers: Debian's, unless one is there already (its npm comes with it).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Servers the tests start on loopback (s3rver: an S3-compatible store), pinned by the lock file.
servers="$(cd "$(dirname "$0")/.." && pwd)/tests/servers"
if [ ! -d "$servers/node_modules/s3rver" ] || [ "$servers/package-lock.json" -nt "$servers/node_modules" ]; then
  (cd "$servers" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "dependencies installed"

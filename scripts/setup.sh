#!/usr/bin/env bash
# Installs what the build and the tests need, only what is missing. Offline
# apart from Debian's archive and the npm registry: Bazel, gRPC, protobuf,
# Abseil, SQLite, yaml-cpp, GoogleTest, Google Benchmark and Chromium (the
# report's browser test) come from Debian 12; the chart library that
# `bt report` inlines comes from npm, at the exact versions of
# report/package-lock.json. openssl makes the TLS certificates
# (scripts/certs.sh, tests/security_test.sh).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  bazel-bootstrap bazel-rules-java default-jdk-headless g++ pkg-config
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libssl-dev libsqlite3-dev libyaml-cpp-dev libgtest-dev libgmock-dev
  libbenchmark-dev chromium python3-grpcio python3-protobuf openssl
)
# A Node.js already on the machine will do; otherwise Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm writes node_modules/.package-lock.json on every install: missing or
# older than the lockfile means report/ needs (re)installing.
installed="$repo/report/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$repo/report/package-lock.json" -nt "$installed" ]; then
  echo "setup: installing the report's chart library (npm ci in report/)" >&2
  npm ci --prefix "$repo/report" --no-audit --no-fund --loglevel=error >/dev/null
fi

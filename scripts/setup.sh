#!/usr/bin/env bash
# Installs the Debian packages the build needs, only those missing. Offline
# apart from Debian's archive: Bazel, gRPC, protobuf, Abseil, SQLite,
# yaml-cpp, GoogleTest and Google Benchmark all come from Debian 12.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java default-jdk-headless g++ pkg-config
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libssl-dev libsqlite3-dev libyaml-cpp-dev libgtest-dev libgmock-dev
  libbenchmark-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

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

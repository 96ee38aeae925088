#!/usr/bin/env bash
# Installs what the build and the tests need, only what is missing. Offline
# apart from Debian's archive and the npm registry: Bazel, gRPC, protobuf,
# Abseil, SQLite, libpq, yaml-cpp, prometheus-cpp, GoogleTest and Google
# Benchmark (the build); Chromium (the report's browser test); the
# PostgreSQL server (the results store's PostgreSQL tests start their own);
# podman, buildah, debootstrap and runc (the container image,
# scripts/images.sh); Slurm with MUNGE, iproute2 and util-linux (the
# multi-host Slurm test, tests/slurm).
# All come from Debian 12. From npm, at the exact versions of their
# package-lock.json: the chart library `bt report` inlines (report/) and the
# Kubernetes manifests' checkers (deploy/k8s/tools/). openssl makes the TLS
# certificates (scripts/certs.sh, tests/security_test.sh).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  bazel-bootstrap bazel-rules-java default-jdk-headless g++ pkg-config
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libssl-dev libsqlite3-dev libyaml-cpp-dev libgtest-dev libgmock-dev
  libbenchmark-dev chromium python3-grpcio python3-protobuf
  libpq-dev postgresql-15 prometheus-cpp-dev
  podman buildah debootstrap runc
  slurm-wlm munge iproute2 util-linux openssl
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
# older than the lockfile means the folder needs (re)installing. report/: the
# chart library bt report inlines; deploy/k8s/tools/: the Kubernetes
# manifests' renderer and schema checkers.
for folder in report deploy/k8s/tools; do
  installed="$repo/$folder/node_modules/.package-lock.json"
  if [ ! -f "$installed" ] || [ "$repo/$folder/package-lock.json" -nt "$installed" ]; then
    echo "setup: installing the npm packages of $folder (npm ci)" >&2
    npm ci --prefix "$repo/$folder" --no-audit --no-fund --loglevel=error >/dev/null
  fi
done

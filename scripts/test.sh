#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs bazel test //...
# Tests that need the real market data in ../shared/data use it when present
# and skip with a message otherwise.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
scripts/setup.sh
if [ -z "${SHARED_DATA_DIR:-}" ] && [ -d "$repo/../shared/data" ]; then
  export SHARED_DATA_DIR="$(cd "$repo/../shared/data" && pwd)"
fi
exec bazel test //... "$@"

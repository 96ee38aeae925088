#!/usr/bin/env bash
# Generates the Python message and gRPC stubs of the contracts into OUT_DIR
# (not committed: always regenerated from protos/, so they never drift).
# Usage: generate_stubs.sh OUT_DIR [PROTOS_DIR]
# PROTOS_DIR defaults to the repository's protos/. Needs protoc
# (protobuf-compiler) and grpc_python_plugin (protobuf-compiler-grpc).
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT_DIR [PROTOS_DIR]" >&2
  exit 2
fi
out="$1"
protos="${2:-$(dirname "${BASH_SOURCE[0]}")/../../protos}"
plugin="$(command -v grpc_python_plugin || true)"
if [ -z "$plugin" ]; then
  echo "generate_stubs: grpc_python_plugin not found;" \
    "install protobuf-compiler-grpc" >&2
  exit 1
fi
mkdir -p "$out"
protoc -I "$protos" --python_out="$out" --grpc_out="$out" \
  --plugin=protoc-gen-grpc="$plugin" \
  "$protos"/backtest/v1/*.proto "$protos"/google/rpc/*.proto

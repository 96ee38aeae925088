#!/usr/bin/env bash
# The demo: installs what is missing, builds, writes a synthetic market, starts
# the five services and the coordinator as separate processes, runs a
# multi-symbol backtest through them and prints its summary.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
scripts/setup.sh
bazel build //cli:bt
bt="$repo/bazel-bin/cli/bt"
work="$repo/.bt/demo"
mkdir -p "$work"
[ -f "$work/data/SYNA.csv" ] || "$bt" data synth --out "$work/data" --symbols 5 --seed 42 --days 1500

"$bt" serve --config deploy/services.yaml --db "$work/results.db" >"$work/serve.log" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null; wait $serve_pid 2>/dev/null || true' EXIT
until grep -q "all services are SERVING" "$work/serve.log"; do
  if ! kill -0 $serve_pid 2>/dev/null; then
    cat "$work/serve.log" >&2
    echo "demo: bt serve failed to start (are ports 7100-7105 free?)" >&2
    exit 1
  fi
  sleep 0.2
done
echo "services started (log: $work/serve.log)"
cd "$work"
"$bt" run "$repo/examples/demo.yaml" --remote 127.0.0.1:7100 --export "$work/export"

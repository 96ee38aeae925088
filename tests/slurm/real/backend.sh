# Sourced by slurm_sweep_test.sh: the real sweep. results_server runs on host
# results (a SQLite file on the shared disk), the array tasks run `bt sweep`
# (each child a backtest in the task's own process, stored over gRPC in that
# results service), and the stored children are read back with `bt runs
# --parent JOB` from the results host.
#
# Needs cluster.sh (results_up, run_in, host_addr, cluster_dir) and $root
# (the runfiles root).

# backend_up CHILDREN: starts the results service on host results, writes a
# synthetic market and a spec whose sweep has CHILDREN points (CHILDREN must
# be 24: a 6 x 4 grid), and sets:
#   backend_bt       the bt the array tasks run
#   sweep_spec       the spec, on the shared disk
#   skipped_pattern  what bt prints for a shard whose child was stored
backend_up() {
  local children="$1" port=7105
  [ "$children" = 24 ] || cluster_fail "the real backend's spec has 24 points, not $children"
  backend_bt="$root/cli/bt"
  local shared="$cluster_dir/shared"
  mkdir -p "$shared/results"
  # Plain text on an address of the test's own namespaces: --insecure.
  results_up "$port" "$root/services/results/results_server" \
    --listen="$(host_addr results):$port" --db="$shared/results/results.db" --insecure
  "$backend_bt" data synth --out "$shared/market" --symbols 2 --seed 3 --days 400 >/dev/null ||
    cluster_fail "bt data synth failed"
  sweep_spec="$shared/sweep.yaml"
  cat >"$sweep_spec" <<SPEC
name: slurm-sweep
data: {path: $shared/market, symbols: [SYNA, SYNB]}
strategy: {name: sma_cross}
portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, percent: 0.3}}
sweep: {grid: {fast: [2, 3, 4, 5, 6, 7], slow: [20, 30, 40, 50]}, objective: sharpe}
SPEC
  # One child per task: the shard's progress line says it was reused.
  skipped_pattern="(1 reused"
}

# stored_children JOB: the index of each child stored for JOB, one line per
# stored run, read from the results service.
stored_children() {
  run_in results "$root/cli/bt" runs --parent "$1" --limit 1000 \
    --results-addr "$results_address" |
    grep -oE "^$1-[0-9]+" | sed -E "s/^$1-0*([0-9])/\1/"
}

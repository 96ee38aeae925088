# Sourced by slurm_sweep_test.sh: what the sweep runs and stores into, for
# now the stand-ins (bt.sh, results_service.py). The real backend is a file
# like this one: its three parts started and read the real way
# (results_server on host results, a spec with a 24-point sweep block,
# `bt show JOB --json` for the stored children), and the test sources it
# instead of this one.
#
# Needs cluster.sh (results_up, host_addr, cluster_dir) and $root (the
# runfiles root).

# backend_up CHILDREN: starts the results service on host results, writes a
# spec of CHILDREN children, and sets:
#   backend_bt       the bt the array tasks run
#   sweep_spec       the spec, on the shared disk
#   skipped_pattern  what bt prints for a child it finds stored already
backend_up() {
  local children="$1" port=7105
  backend_records="$cluster_dir/shared/results/records.tsv"
  mkdir -p "$(dirname "$backend_records")"
  results_up "$port" /usr/bin/python3 "$root/tests/slurm/stand_in/results_service.py" \
    --listen="$(host_addr results):$port" --dir="$(dirname "$backend_records")"
  sweep_spec="$cluster_dir/shared/sweep.spec"
  echo "children: $children" >"$sweep_spec"
  backend_bt="$root/tests/slurm/stand_in/bt.sh"
  skipped_pattern="stored already, skipped"
}

# stored_children JOB: the index of each child stored for JOB, one line per
# stored run (a child stored twice gives two lines).
stored_children() {
  awk -F'\t' -v job="$1" '$1 == job {print $2}' "$backend_records"
}

# Sourced: the whole test cluster, up and down. `cluster_up` builds hosts
# slurmctl, node1, node2 and results (netns.sh), MUNGE (munge.sh) and Slurm
# (slurm.sh) in a fresh directory under /tmp, and arranges for
# `cluster_down` to run however the caller ends (failure, Ctrl-C, TERM). A
# machine-wide lock keeps two runs (say, two worktrees' tests) from sharing
# the namespace names; holding it, a run first removes what a crashed run
# left behind.
#
#   source tests/slurm/lib/cluster.sh
#   cluster_up                  # or fail, saying what did not come up
#   results_up 7105 CMD...      # CMD on host results; sets results_address
#   slurm_cmd sbatch ...        # Slurm's clients, run on the controller
#   run_in node1 CMD...         # anything on any host
#   kill_host node2             # a compute host dies
#   slurmd_up node2             # ... and comes back
#   cluster_down                # (else the EXIT trap does it)
#
# The run's directory ($cluster_dir) stands for the disks: shared/ is the
# shared disk every host sees (spec, data, job output), log/ has every
# daemon's log and Slurm's job completion log.
#
# Needs root, iproute2, util-linux, munge and slurm-wlm (scripts/setup.sh).

cluster_lib="$(dirname "${BASH_SOURCE[0]}")"
source "$cluster_lib/netns.sh"
source "$cluster_lib/munge.sh"
source "$cluster_lib/slurm.sh"

# Not under TEST_TMPDIR: munged runs as the munge user and must reach its key
# through every parent folder (/root is closed to it).
cluster_tmp_parent=/tmp
# Not under $cluster_tmp_parent, whose $cluster_prefix.* leftovers are removed.
cluster_lock_file="/run/$cluster_prefix.lock"

# wait_for SECONDS WHAT CMD...: polls CMD every 0.2 s until it succeeds;
# after SECONDS, says WHAT did not happen and returns 1.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out after ${seconds}s waiting for: $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

cluster_fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# Fails with the reason when this machine lacks what the cluster needs
# (changes nothing; netns_probe, under the lock, tries a namespace).
cluster_check() {
  local reason missing
  reason="$(netns_check)" || cluster_fail "no network namespaces here: $reason"
  missing="$(slurm_missing | tr '\n' ' ')"
  [ -z "$missing" ] || cluster_fail "missing here: $missing(scripts/setup.sh" \
    "installs slurm-wlm, munge and util-linux)"
  id munge >/dev/null 2>&1 || cluster_fail "no munge user (the munge package makes it)"
}

# Takes the machine-wide lock on descriptor 9 (the daemons are started with
# 9 closed, so a crashed run's leftovers never hold it).
cluster_lock() {
  exec 9>"$cluster_lock_file"
  flock -w 600 9 || cluster_fail "another run held $cluster_lock_file for 10 minutes"
}

# What a crashed earlier run left: processes in our namespaces, the
# namespaces (with their veths and bridge), and its directories.
cluster_clean_leftovers() {
  if [ -n "$(our_namespaces)" ] || compgen -G "$cluster_tmp_parent/$cluster_prefix.*" >/dev/null; then
    echo "cluster: removing leftovers of an earlier run: $(our_namespaces | tr '\n' ' ')" >&2
  fi
  net_down || cluster_fail "could not remove the namespaces $(our_namespaces | tr '\n' ' ')"
  rm -rf "$cluster_tmp_parent/$cluster_prefix".*
}

cluster_up() {
  cluster_check
  cluster_lock
  cluster_clean_leftovers
  local reason
  reason="$(netns_probe)" || cluster_fail "no network namespaces here: $reason"
  trap cluster_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cluster_dir="$(mktemp -d "$cluster_tmp_parent/$cluster_prefix.XXXXXX")"
  chmod 0755 "$cluster_dir"
  mkdir -p "$cluster_dir/shared"
  net_up slurmctl node1 node2 results
  munge_dir="$cluster_dir/munge"
  munge_up "$munge_dir" || cluster_fail "munged did not come up"
  slurm_write_conf "$cluster_dir"
  slurmctld_up || cluster_fail_with_logs "slurmctld did not come up"
  slurmd_up node1
  slurmd_up node2
  slurm_wait_idle 60 node1 node2 ||
    cluster_fail_with_logs "the compute nodes did not come up idle:" \
      "$(slurm_cmd sinfo -N -o '%N %T %E' 2>&1)"
}

cluster_fail_with_logs() {
  slurm_logs_tail >&2
  cluster_fail "$@"
}

# Stops everything and removes it; the daemons' logs and Slurm's job
# completion log are kept in TEST_UNDECLARED_OUTPUTS_DIR (bazel's
# test.outputs) when that is set, or in BT_SLURM_KEEP_LOGS. Safe to call
# twice.
cluster_down() {
  local keep="${TEST_UNDECLARED_OUTPUTS_DIR:-${BT_SLURM_KEEP_LOGS:-}}"
  if [ -n "${cluster_dir:-}" ] && [ -n "$keep" ]; then
    mkdir -p "$keep/slurm-logs"
    cp -r "$cluster_dir/log/." "$keep/slurm-logs/" 2>/dev/null || true
  fi
  net_down || echo "cluster: could not remove $(our_namespaces | tr '\n' ' ')" >&2
  [ -z "${cluster_dir:-}" ] || rm -rf "$cluster_dir"
  cluster_dir=""
}

# The EXIT trap: cluster_down, keeping the caller's exit status.
cluster_on_exit() {
  local status=$?
  trap - EXIT INT TERM
  cluster_down
  exit "$status"
}

# results_up PORT CMD...: starts CMD on host results (it must listen on
# $(host_addr results):PORT, given to it by the caller, and print "listening
# on" once it does), then checks that a compute host reaches it. Sets
# results_address for the jobs (BT_RESULTS).
results_up() {
  local port="$1"
  shift
  local out="$cluster_dir/log/results.out"
  : >"$out"
  run_in results "$@" >"$out" 2>&1 9>&- &
  wait_for 30 "the results service printing 'listening on'" grep -q "listening on" "$out" ||
    cluster_fail "the results service did not start: $(tail -n 20 "$out")"
  results_address="$(host_addr results):$port"
  run_in node1 bash -c "exec 3<>/dev/tcp/${results_address%:*}/$port" ||
    cluster_fail "node1 cannot reach the results service at $results_address"
}

# kill_host HOST: the host dies: every process on it (slurmd, slurmstepd,
# the job scripts) is killed at once.
kill_host() {
  kill_namespace_processes "$(ns_of "$1")" ||
    cluster_fail "processes on $1 survived SIGKILL: $(ip netns pids "$(ns_of "$1")" | tr '\n' ' ')"
}

# Sourced: submitting deploy/slurm/sweep.sbatch to the test cluster, and
# reading back what happened from three places: the gate's log (which task
# began on which node, on which restart; gate.sh), Slurm's job completion log
# (jobcomp.txt: one line per end of an array task, NODE_FAIL included) and
# the backend's stored children (stored_children, from the backend file).
#
# Needs cluster.sh, a backend (backend_bt, sweep_spec, stored_children) and,
# set by the caller: sweep_sbatch, sweep_children, and $root.

# submit_sweep [SBATCH_OPTION...]: submits the whole array (0..children-1)
# and prints its job id. Each task runs bt through gate.sh, held while the
# file $GATE_OPEN (from the caller's environment, if set) does not exist.
# Output goes to $cluster_dir/shared/out; sbatch exports the submitting
# environment, so BT_JOB set by the caller reaches the tasks.
submit_sweep() {
  mkdir -p "$cluster_dir/shared/out"
  local id
  id="$(SPEC="$sweep_spec" BT_RESULTS="$results_address" BT="$root/tests/slurm/gate.sh" \
    GATE_BT="$backend_bt" GATE_BEGUN="$(gate_log)" \
    slurm_cmd sbatch --parsable --array="0-$((sweep_children - 1))" \
    --chdir="$cluster_dir/shared/out" "$@" "$sweep_sbatch")" ||
    cluster_fail "sbatch refused $sweep_sbatch: $id"
  echo "${id%%;*}"
}

gate_log() { echo "$cluster_dir/shared/begun.log"; }

# tasks_begun ARRAY NODE [RESTART]: the tasks of ARRAY begun on NODE (on
# that restart, when given), in order.
tasks_begun() {
  touch "$(gate_log)"
  awk -v a="$1" -v n="$2" -v r="${3:-}" '$1 == a && $3 == n && (r == "" || $4 == r) {print $2}' \
    "$(gate_log)" | sort -n
}

# running_on_both ARRAY N: whether N tasks of ARRAY have begun on each
# compute node (held at the gate, they stay running).
running_on_both() {
  [ "$(tasks_begun "$1" node1 | wc -l)" -ge "$2" ] && [ "$(tasks_begun "$1" node2 | wc -l)" -ge "$2" ]
}

# array_done ARRAY: whether no task of ARRAY is pending or running (false
# while slurmctld does not answer).
array_done() {
  local left
  left="$(slurm_cmd squeue -h -j "$1" -o %i)" || return 1
  [ -z "$left" ]
}

# The ends Slurm logged for ARRAY, one "TASK STATE NODE" line each, in the
# order they happened.
task_ends() {
  sed -n "s/.*JobState=\([A-Z_]*\) .*NodeList=\([^ ]*\) .*ArrayJobId=$1 ArrayTaskId=\([0-9]*\) .*/\3 \2 \1/p" \
    "$cluster_dir/log/jobcomp.txt"
}

# The ends of TASK of ARRAY, "NODE STATE" each, on one line.
ends_of_task() {
  task_ends "$1" | awk -v t="$2" '$1 == t {printf "%s %s; ", $2, $3}'
}

# check_exactly_once JOB: every child 0..children-1 of JOB stored exactly
# once, and no other.
check_exactly_once() {
  local job="$1" stored want
  stored="$(stored_children "$job" | sort -n | tr '\n' ' ')"
  want="$(seq 0 $((sweep_children - 1)) | tr '\n' ' ')"
  [ "$stored" = "$want" ] ||
    cluster_fail "$job: the stored children are [$stored], not each of 0..$((sweep_children - 1)) once"
}

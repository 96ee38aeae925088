# Sourced: submitting deploy/slurm/sweep.sbatch to the test cluster and
# reading back what happened: from the results service's records (which
# children are stored, by which node, on which attempt) and from Slurm's own
# job completion log (jobcomp.txt: one line per end of an array task,
# NODE_FAIL included).
#
# Needs cluster.sh (slurm_cmd, wait_for, results_address) and, set by the
# caller: sweep_sbatch, sweep_bt (the bt binary the tasks run), sweep_spec,
# sweep_children, sweep_results_dir (where records.tsv and attempts.tsv are).

# submit_sweep [SBATCH_OPTION...]: submits the whole array (0..children-1)
# and prints the array's job id. The tasks' output goes to
# $cluster_dir/shared/out. Extra environment (BT_JOB, BT_STANDIN_GATE) is
# passed through: sbatch exports the submitting environment.
submit_sweep() {
  mkdir -p "$cluster_dir/shared/out"
  local id
  id="$(SPEC="$sweep_spec" BT_RESULTS="$results_address" BT="$sweep_bt" \
    slurm_cmd sbatch --parsable --array="0-$((sweep_children - 1))" \
    --chdir="$cluster_dir/shared/out" "$@" "$sweep_sbatch")" ||
    cluster_fail "sbatch refused $sweep_sbatch: $id"
  echo "${id%%;*}"
}

# The stored records of JOB, one "child node attempt" line each.
records_of() {
  awk -F'\t' -v job="$1" '$1 == job {print $2, $3, $4}' "$sweep_results_dir/records.tsv"
}

# The attempts begun for JOB, one "child node attempt" line each.
attempts_of() {
  awk -F'\t' -v job="$1" '$1 == job {print $2, $3, $4}' "$sweep_results_dir/attempts.tsv"
}

# The children of JOB begun on NODE.
children_begun_on() {
  attempts_of "$1" | awk -v node="$2" '$2 == node {print $1}' | sort -n
}

# wait_running SECONDS JOB N: waits until N children of JOB have begun on
# each compute node (with the gate shut, they stay running).
wait_running() {
  local seconds="$1" job="$2" n="$3"
  wait_for "$seconds" "$n tasks of $job running on each node" eval \
    '[ "$(children_begun_on '"$job"' node1 | wc -l)" -ge '"$n"' ] &&
     [ "$(children_begun_on '"$job"' node2 | wc -l)" -ge '"$n"' ]'
}

# wait_array_done SECONDS ARRAY_ID: waits until no task of the array is
# pending or running.
wait_array_done() {
  wait_for "$1" "array $2 finished" eval \
    '[ -z "$(slurm_cmd squeue -h -j '"$2"' -o %i)" ]' || {
    slurm_cmd squeue -j "$2" -o '%i %T %N %r' >&2 || true
    return 1
  }
}

# The ends Slurm logged for ARRAY_ID, one "task state node" line each, in
# the order they happened.
task_ends() {
  sed -n "s/.*JobState=\([A-Z_]*\) .*NodeList=\([^ ]*\) .*ArrayJobId=$1 ArrayTaskId=\([0-9]*\) .*/\3 \1 \2/p" \
    "$cluster_dir/log/jobcomp.txt"
}

# check_exactly_once JOB: every child 0..children-1 of JOB stored exactly
# once, no other.
check_exactly_once() {
  local job="$1" stored want
  stored="$(records_of "$job" | awk '{print $1}' | sort -n | tr '\n' ' ')"
  want="$(seq 0 $((sweep_children - 1)) | tr '\n' ' ')"
  [ "$stored" = "$want" ] ||
    cluster_fail "$job: stored children are [$stored], not each of 0..$((sweep_children - 1)) once" \
      "(duplicates: [$(records_of "$job" | awk '{print $1}' | sort -n | uniq -d | tr '\n' ' ')])"
}

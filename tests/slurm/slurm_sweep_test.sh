#!/usr/bin/env bash
# A sweep as a Slurm job array on a real multi-host Slurm cluster built on
# this machine: slurmctld, two slurmd "hosts" (node1, node2) and a results
# host, each its own network namespace on a private bridge (tests/slurm/lib).
# The array runs deploy/slurm/sweep.sbatch unchanged; its bt is, for now, a
# stand-in with bt sweep's command line and contract (stand_in_bt.sh) storing
# into a stand-in results service on the results host
# (stand_in_results.py). Runs as root; fails (never skips) with the reason
# when namespaces, Slurm or MUNGE are missing.
#
# 1. 24 array tasks over the two nodes store 24 children, both nodes used.
# 2. Node death with --requeue: node2 dies (every process on it SIGKILLed)
#    while it runs two tasks. Slurm keeps them RUNNING until SlurmdTimeout,
#    marks node2 "not responding" then DOWN, logs each task NODE_FAIL and
#    requeues it (same array index, SLURM_RESTART_COUNT=1), holds it until
#    AuthInfo cred_expire has passed and starts it on node1: 24 children,
#    none twice.
# 3. node2's slurmd restarts and the node comes back idle by itself
#    (ReturnToService=1: it was DOWN for not responding).
# 4. Node death with --no-requeue: the two tasks end NODE_FAIL and stay
#    failed; the array finishes with 22 children stored. A second submission
#    of the whole array for the same parent job (BT_JOB, what bt sweep
#    --resume does) runs only the 2 missing children: 24, none twice.
#
# What makes it deterministic: each child waits on a gate file (the
# stand-in's BT_STANDIN_GATE); with 2 CPUs per node exactly 4 tasks run, 2 on
# each node, and the test kills node2 only once both of node2's children are
# begun, then opens the gate. A process on the dead node is killed pass after
# pass until none is left: a job script forked between two passes would
# otherwise finish, store its child, and its requeued twin would store it
# again (a duplicate this test once saw, which is why bt's children must be
# idempotent).
set -euo pipefail
root="$PWD"
source "$root/tests/slurm/lib/cluster.sh"
source "$root/tests/slurm/lib/sweep.sh"

# What the array tasks run: the stand-in now. The real sweep is this line
# with "$root/cli/bt", and results_up below starting results_server.
sweep_bt="$root/tests/slurm/stand_in_bt.sh"
sweep_sbatch="$root/deploy/slurm/sweep.sbatch"
sweep_children=24
results_port=7105

timings=()
phase_started=0
phase() {
  phase_name="$1"
  phase_started="$SECONDS"
  echo "=== $phase_name"
}
phase_done() {
  timings+=("$phase_name: $((SECONDS - phase_started)) s")
  echo "=== $phase_name: done in $((SECONDS - phase_started)) s"
}

# --- The cluster ---------------------------------------------------------------
phase "cluster up"
cluster_up
sweep_results_dir="$cluster_dir/shared/results"
mkdir -p "$sweep_results_dir"
results_up "$results_port" /usr/bin/python3 "$root/tests/slurm/stand_in_results.py" \
  --listen="$(host_addr results):$results_port" --dir="$sweep_results_dir"
sweep_spec="$cluster_dir/shared/sweep.spec"
echo "children: $sweep_children" >"$sweep_spec"
phase_done

# --- 1. 24 tasks over two nodes ------------------------------------------------
phase "24-task array"
gate="$cluster_dir/shared/gate-1"
array="$(BT_STANDIN_GATE="$gate" submit_sweep)"
job="sweep-$array"
# Both nodes hold two running tasks before any may finish.
wait_running 60 "$job" 2 || cluster_fail_with_logs "the first tasks did not start"
touch "$gate"
wait_array_done 120 "$array" || cluster_fail_with_logs "array $array did not finish"
check_exactly_once "$job"
for node in node1 node2; do
  records_of "$job" | grep -q " $node " || cluster_fail "$job: no child ran on $node"
done
[ "$(task_ends "$array" | grep -c ' COMPLETED ')" = "$sweep_children" ] ||
  cluster_fail "Slurm logged these ends for $array: $(task_ends "$array" | tr '\n' ';')"
for ((task = 0; task < sweep_children; task++)); do
  grep -q "child $task of $job: run on" "$cluster_dir/shared/out/bt-sweep-${array}_$task.out" ||
    cluster_fail "no per-task output says child $task ran"
done
echo "stored: $(records_of "$job" | awk '{print $2}' | sort | uniq -c | tr -s ' \n' ' ')"
phase_done

# kill_node2_mid_array ARRAY JOB GATE: waits until node2 runs two tasks,
# kills the host, opens the gate, and waits until Slurm sets node2 DOWN.
# Sets victims (the children node2 was running) and timing lines.
kill_node2_mid_array() {
  local array="$1" job="$2" gate="$3"
  wait_running 60 "$job" 2 || cluster_fail_with_logs "the tasks of $array did not start"
  victims="$(children_begun_on "$job" node2 | tr '\n' ' ')"
  local killed="$SECONDS"
  kill_host node2
  touch "$gate"
  echo "killed node2 while it ran children [$victims]"
  wait_for 120 "node2 DOWN after its death" eval '[ "$(node_state node2)" = "down*" ]' ||
    cluster_fail_with_logs "node2 is '$(node_state node2)', not down*"
  timings+=("  node2 dead -> DOWN in slurmctld: $((SECONDS - killed)) s")
}

# --- 2. Node death: the tasks are requeued --------------------------------------
phase "node death, --requeue"
gate="$cluster_dir/shared/gate-2"
array="$(BT_STANDIN_GATE="$gate" submit_sweep --requeue)"
job="sweep-$array"
kill_node2_mid_array "$array" "$job" "$gate"
down_at="$SECONDS"
wait_array_done 180 "$array" || cluster_fail_with_logs "array $array did not finish"
timings+=("  DOWN -> array finished: $((SECONDS - down_at)) s")
check_exactly_once "$job"
for child in $victims; do
  # One attempt on node2, cut short; one stored on node1 as restart 1.
  attempts_of "$job" | grep -qx "$child node2 0" || cluster_fail "child $child: no attempt on node2"
  [ "$(records_of "$job" | awk -v c="$child" '$1 == c {print $2, $3}')" = "node1 1" ] ||
    cluster_fail "child $child is not stored from node1 as restart 1: $(records_of "$job" | grep "^$child ")"
  [ "$(task_ends "$array" | awk -v c="$child" '$1 == c {print $2, $3}' | tr '\n' ' ')" = \
    "NODE_FAIL node2 COMPLETED node1 " ] ||
    cluster_fail "task $child did not end NODE_FAIL on node2 then COMPLETED on node1:" \
      "$(task_ends "$array" | grep "^$child ")"
  grep -q "requeue job JobId=${array}_$child(.*) due to failure of node node2" \
    "$cluster_dir/log/slurmctld.log" || cluster_fail "slurmctld did not log the requeue of task $child"
done
phase_done

# --- 3. node2 comes back ----------------------------------------------------------
phase "node2 back"
slurmd_up node2
slurm_wait_idle 60 node2 || cluster_fail_with_logs "node2 did not return to service"
phase_done

# --- 4. Node death without requeue, then a second submission ---------------------
phase "node death, --no-requeue, second submission"
gate="$cluster_dir/shared/gate-4"
array="$(BT_STANDIN_GATE="$gate" submit_sweep --no-requeue)"
job="sweep-$array"
kill_node2_mid_array "$array" "$job" "$gate"
wait_array_done 120 "$array" || cluster_fail_with_logs "array $array did not finish"
missing="$(comm -13 <(records_of "$job" | awk '{print $1}' | sort) \
  <(seq 0 $((sweep_children - 1)) | sort) | sort -n | tr '\n' ' ')"
[ "$missing" = "$victims" ] ||
  cluster_fail "after node2's death without requeue, missing [$missing], expected [$victims]"
for child in $victims; do
  [ "$(task_ends "$array" | awk -v c="$child" '$1 == c {print $2}' | tr '\n' ' ')" = "NODE_FAIL " ] ||
    cluster_fail "task $child: $(task_ends "$array" | grep "^$child ")"
done
# The operator's re-run: the same array for the same parent job.
rerun="$(BT_JOB="$job" submit_sweep)"
wait_array_done 120 "$rerun" || cluster_fail_with_logs "array $rerun did not finish"
check_exactly_once "$job"
skipped="$(cat "$cluster_dir/shared/out/bt-sweep-${rerun}"_*.out | grep -c "stored already, skipped")"
[ "$skipped" = $((sweep_children - $(wc -w <<<"$victims"))) ] ||
  cluster_fail "the second submission skipped $skipped children"
phase_done

phase "teardown"
trap - EXIT INT TERM
cluster_down
phase_done

printf '%s\n' "timings:" "${timings[@]}"
echo "PASSED"

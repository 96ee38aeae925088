#!/usr/bin/env bash
# A sweep as a Slurm job array on a real multi-host Slurm cluster built on
# this machine: slurmctld, two slurmd "hosts" (node1, node2) and a results
# host, each its own network namespace on a private bridge (tests/slurm/lib).
# The array runs deploy/slurm/sweep.sbatch unchanged: each task is `bt sweep`
# of a 24-point spec, one shard of the job, storing its children in the
# results service (results_server) on the results host (real/backend.sh).
# Runs as root; fails (never skips) with the reason when namespaces, Slurm
# or MUNGE are missing.
#
# 1. 24 array tasks over the two nodes store the 24 children, both nodes
#    used.
# 2. Node death with --requeue: node2 dies (every process on it SIGKILLed)
#    while it runs two tasks. Slurm keeps them RUNNING until node2 misses
#    SlurmdTimeout (10 s here): ~25-30 s after the death it logs "Nodes node2
#    not responding, setting DOWN" and "requeue job ... due to failure of
#    node node2", the tasks end NODE_FAIL in the completion log and go back
#    to PENDING (same array index, SLURM_RESTART_COUNT=1, Reason=BeginTime:
#    held for AuthInfo cred_expire, 10 s here), then run on node1. 24
#    children, none twice.
# 3. node2's slurmd restarts: "node node2 returned to service", idle at once
#    (ReturnToService=1: it was DOWN for not responding).
# 4. Node death with --no-requeue: Slurm logs "Killing JobId=... on failed
#    node node2"; the two tasks end NODE_FAIL for good and the array ends
#    with 22 children stored. A second submission of the whole array for the
#    same parent job (BT_JOB=that job, as an operator re-runs a sweep) runs
#    the 2 missing children and skips the 22 stored: 24, none twice.
#
# Deterministic: every task is held at a gate (gate.sh) until the test opens
# it. With 2 CPUs per node exactly 4 tasks run, 2 on each node; the test
# kills node2 once both of node2's tasks have begun, then opens the gate.
# The host's processes are killed pass after pass until none is left: a job
# script forked between two passes would otherwise finish, store its child,
# and its requeued twin would store it again (seen once while building
# this; it is why bt's children must be idempotent).
set -euo pipefail
root="$PWD"
source "$root/tests/slurm/lib/cluster.sh"
source "$root/tests/slurm/lib/sweep.sh"
# What the array tasks run and store into.
source "$root/tests/slurm/real/backend.sh"

sweep_sbatch="$root/deploy/slurm/sweep.sbatch"
sweep_children=24

timings=()
phase() {
  phase_name="$1"
  phase_started="$SECONDS"
  echo "=== $phase_name"
}
phase_done() {
  timings+=("$phase_name: $((SECONDS - phase_started)) s")
  echo "=== $phase_name: done in $((SECONDS - phase_started)) s"
}

# fail_unfinished ARRAY: fails, with what is left of ARRAY and the logs.
fail_unfinished() {
  slurm_cmd squeue -j "$1" -o '%i %T %N %r' >&2 || true
  cluster_fail_with_logs "array $1 did not finish"
}

# kill_node2_mid_array ARRAY GATE: waits until node2 runs two tasks of ARRAY,
# kills the host, opens the gate, and waits until slurmctld sets node2 DOWN.
# Sets victims (the tasks node2 was running).
kill_node2_mid_array() {
  local array="$1" gate="$2"
  wait_for 60 "2 tasks running on each node" running_on_both "$array" 2 ||
    cluster_fail_with_logs "the tasks of array $array did not start"
  victims="$(tasks_begun "$array" node2 | tr '\n' ' ')"
  local killed="$SECONDS"
  kill_host node2
  touch "$gate"
  echo "killed node2 while it ran tasks [$victims]"
  wait_for 120 "node2 DOWN after its death" node_is node2 "down*" ||
    cluster_fail_with_logs "node2 is '$(node_state node2)', not down*"
  timings+=("  node2 dead -> DOWN in slurmctld: $((SECONDS - killed)) s")
}

# --- The cluster ---------------------------------------------------------------
phase "cluster up"
cluster_up
backend_up "$sweep_children"
phase_done

# --- 1. 24 tasks over two nodes ------------------------------------------------
phase "24-task array"
gate="$cluster_dir/shared/gate-1"
array="$(GATE_OPEN="$gate" submit_sweep)"
# Two tasks running on each node before any may finish.
wait_for 60 "2 tasks running on each node" running_on_both "$array" 2 ||
  cluster_fail_with_logs "the first tasks did not start"
touch "$gate"
wait_for 120 "array $array finished" array_done "$array" || fail_unfinished "$array"
check_exactly_once "sweep-$array"
[ "$(task_ends "$array" | grep -c ' COMPLETED$')" = "$sweep_children" ] ||
  cluster_fail "Slurm logged these ends for $array: $(task_ends "$array" | tr '\n' ';')"
for node in node1 node2; do
  task_ends "$array" | grep -q " $node COMPLETED$" || cluster_fail "no task ran on $node"
done
for ((task = 0; task < sweep_children; task++)); do
  grep -q "task $task/$sweep_children of sweep-$array on" \
    "$cluster_dir/shared/out/bt-sweep-${array}_$task.out" ||
    cluster_fail "no output of task $task in bt-sweep-${array}_$task.out"
done
echo "tasks per node: $(task_ends "$array" | awk '{print $2}' | sort | uniq -c | tr -s ' \n' ' ')"
phase_done

# --- 2. Node death: the tasks are requeued --------------------------------------
phase "node death, --requeue"
gate="$cluster_dir/shared/gate-2"
array="$(GATE_OPEN="$gate" submit_sweep --requeue)"
kill_node2_mid_array "$array" "$gate"
down_at="$SECONDS"
wait_for 180 "array $array finished" array_done "$array" || fail_unfinished "$array"
timings+=("  DOWN -> requeued tasks done: $((SECONDS - down_at)) s")
check_exactly_once "sweep-$array"
for task in $victims; do
  [ "$(ends_of_task "$array" "$task")" = "node2 NODE_FAIL; node1 COMPLETED; " ] ||
    cluster_fail "task $task did not end NODE_FAIL on node2, then COMPLETED on node1:" \
      "$(ends_of_task "$array" "$task")"
  tasks_begun "$array" node1 1 | grep -qx "$task" ||
    cluster_fail "task $task did not begin again on node1 as restart 1"
  grep -q "requeue job JobId=${array}_$task(.*) due to failure of node node2" \
    "$cluster_dir/log/slurmctld.log" || cluster_fail "slurmctld did not log the requeue of task $task"
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
array="$(GATE_OPEN="$gate" submit_sweep --no-requeue)"
job="sweep-$array"
kill_node2_mid_array "$array" "$gate"
wait_for 120 "array $array finished" array_done "$array" || fail_unfinished "$array"
missing="$(comm -13 <(stored_children "$job" | sort) <(seq 0 $((sweep_children - 1)) | sort) |
  sort -n | tr '\n' ' ')"
[ "$missing" = "$victims" ] ||
  cluster_fail "after node2's death without requeue, missing [$missing], not [$victims]"
for task in $victims; do
  [ "$(ends_of_task "$array" "$task")" = "node2 NODE_FAIL; " ] ||
    cluster_fail "task $task: $(ends_of_task "$array" "$task")"
done
# The operator's re-run: the whole array again, for the same parent job.
rerun="$(BT_JOB="$job" submit_sweep)"
wait_for 120 "array $rerun finished" array_done "$rerun" || fail_unfinished "$rerun"
check_exactly_once "$job"
skipped="$(cat "$cluster_dir/shared/out/bt-sweep-${rerun}"_*.out | grep -c "$skipped_pattern" || true)"
[ "$skipped" = $((sweep_children - $(wc -w <<<"$victims"))) ] ||
  cluster_fail "the second submission skipped $skipped children, not all but [$victims]"
phase_done

phase "teardown"
trap - EXIT INT TERM
cluster_down
phase_done

printf '%s\n' "timings:" "${timings[@]}"
echo "PASSED"

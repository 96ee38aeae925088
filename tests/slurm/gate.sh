#!/usr/bin/env bash
# Stands between deploy/slurm/sweep.sbatch and bt in the Slurm test
# (sweep.sbatch runs BT=this file): notes that the array task began, holds it
# until the test opens the gate, then runs the real command in its place:
#
#   1. appends "ARRAY_JOB TASK NODE RESTART" to $GATE_BEGUN (a file on the
#      shared disk: every host sees it);
#   2. waits until the file $GATE_OPEN exists (at most 300 s), when set;
#   3. execs $GATE_BT with its own arguments (the sweep command line).
#
# So the test knows which tasks run where, and can kill a host while its
# tasks are surely running, whatever bt does and however fast.
set -euo pipefail
: "${GATE_BEGUN:?}" "${GATE_BT:?}"
echo "$SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID $SLURMD_NODENAME ${SLURM_RESTART_COUNT:-0}" >>"$GATE_BEGUN"
if [ -n "${GATE_OPEN:-}" ]; then
  for _ in $(seq 1500); do
    [ -e "$GATE_OPEN" ] && break
    sleep 0.2
  done
  [ -e "$GATE_OPEN" ] || { echo "gate: $GATE_OPEN not opened in 300 s" >&2; exit 1; }
fi
exec "$GATE_BT" "$@"

# Sourced: a Slurm cluster from Debian's slurm-wlm on the namespaces of
# netns.sh: slurmctld on host slurmctl, one slurmd on each of node1 and node2,
# configured by a slurm.conf written into the run's directory (nothing under
# /etc is read or written). Client commands run on the controller's host, as
# they would on a login node: `slurm_cmd sbatch ...`.
#
# Facts this configuration rests on (checked on Debian 12, Slurm 22.05):
# - slurmd starts under `nsenter --net` (see run_in). It loads its cgroup
#   plugin whatever the configuration says, and under `ip netns exec`, which
#   mounts a fresh /sys, it stops: "No filesystem mounted on /sys/fs/cgroup
#   ... slurmd initialization failed". ProctrackType=proctrack/linuxproc and
#   TaskPlugin=task/none keep the jobs out of cgroups.
# - SlurmctldHost names the machine's real hostname (slurmctld compares it
#   with gethostname() to know it is the controller) with the controller's
#   namespace address in parentheses.
# - Two slurmd on one machine: each is started with -N NODENAME, NodeAddr is
#   its namespace's address (both listen on SlurmdPort, each in its own
#   namespace), and SlurmdSpoolDir, SlurmdPidFile and SlurmdLogFile carry %n.
#
# Needs netns.sh (run_in, host_addr), munge.sh (munge_socket) and
# cluster.sh (wait_for).

slurm_port_ctld=6817
slurm_port_slurmd=6818
# Each "host" claims 2 CPUs whatever the machine has (config_overrides):
# 4 array tasks run at once.
slurm_cpus_per_node=2
# Seconds without an answer after which slurmctld sets a node DOWN and
# requeues its batch jobs (Slurm's default: 300).
slurm_slurmd_timeout=10
# Seconds a requeued job waits before it may start again (AuthInfo
# cred_expire; Slurm's default: 120).
slurm_cred_expire=10

slurm_missing() {
  local tool
  for tool in slurmctld slurmd sbatch sinfo squeue scontrol munged mungekey setpriv; do
    command -v "$tool" >/dev/null || echo "$tool"
  done
}

# slurm_write_conf DIR: slurm.conf (and an empty cgroup.conf, so nothing from
# /etc/slurm is picked up) in DIR/etc; state, spool and log folders in DIR.
slurm_write_conf() {
  local dir="$1"
  mkdir -p "$dir/etc" "$dir/state" "$dir/spool/node1" "$dir/spool/node2" "$dir/log" "$dir/run"
  slurm_conf="$dir/etc/slurm.conf"
  cat >"$slurm_conf" <<CONF
ClusterName=$cluster_prefix
SlurmctldHost=$(hostname -s)($(host_addr slurmctl))
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$slurm_port_ctld
SlurmdPort=$slurm_port_slurmd
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket,cred_expire=$slurm_cred_expire
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups anywhere: processes are tracked through /proc.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# One line per job end (COMPLETED, NODE_FAIL, ...), requeues included.
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
SlurmdTimeout=$slurm_slurmd_timeout
ReturnToService=1
JobRequeue=1
NodeName=node1 NodeAddr=$(host_addr node1) CPUs=$slurm_cpus_per_node State=UNKNOWN
NodeName=node2 NodeAddr=$(host_addr node2) CPUs=$slurm_cpus_per_node State=UNKNOWN
PartitionName=sweep Nodes=node1,node2 Default=YES MaxTime=INFINITE State=UP
CONF
  : >"$dir/etc/cgroup.conf"
  slurm_dir="$dir"
}

# Runs a Slurm client command (sbatch, squeue, sinfo, scontrol) on the
# controller's host against this cluster's slurm.conf.
slurm_cmd() { SLURM_CONF="$slurm_conf" run_in slurmctl "$@"; }

# Starts slurmctld and waits until it answers.
slurmctld_up() {
  run_in slurmctl slurmctld -D -f "$slurm_conf" \
    >"$slurm_dir/log/slurmctld.out" 2>&1 9>&- &
  wait_for 20 "slurmctld answering scontrol ping" slurmctld_answers
}

slurmctld_answers() { slurm_cmd scontrol ping 2>/dev/null | grep -q "is UP"; }

# slurmd_up NODE: starts NODE's slurmd on the host of the same name.
slurmd_up() {
  local node="$1"
  run_in "$node" slurmd -D -N "$node" -f "$slurm_conf" \
    >"$slurm_dir/log/slurmd-$node.out" 2>&1 9>&- &
}

# The state sinfo gives NODE (idle, allocated, mixed, down*, ...).
node_state() { slurm_cmd sinfo -h -N -n "$1" -o %T 2>/dev/null | head -n 1; }

# node_is NODE STATE: whether sinfo gives NODE that state.
node_is() { [ "$(node_state "$1")" = "$2" ]; }

# slurm_wait_idle SECONDS NODE...: waits until every NODE is idle.
slurm_wait_idle() {
  local seconds="$1"
  shift
  local node
  for node in "$@"; do
    wait_for "$seconds" "node $node idle" node_is "$node" idle || return 1
  done
}

# The last lines of every daemon log, for a failure message.
slurm_logs_tail() {
  local file
  for file in "$slurm_dir"/log/*.log "$slurm_dir"/log/*.out "${munge_dir:-/nonexistent}"/*.out; do
    [ -s "$file" ] || continue
    echo "--- tail of $file"
    tail -n 15 "$file"
  done
}

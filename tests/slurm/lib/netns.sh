# Sourced: the "hosts" of the test cluster as network namespaces on one
# machine. Each host is a namespace with its loopback up and one veth (eth0,
# a private 10.x address) plugged into a bridge that lives in a namespace of
# its own (the "switch"), so nothing is added to the root namespace's network.
# Every name starts with $cluster_prefix, so a crashed run's leftovers can be
# found and removed by the next run.
#
# Needs root, iproute2 (ip) and util-linux (nsenter). Hosts see one another by
# address; the filesystem is shared, as on a cluster with a shared disk.

cluster_prefix="${cluster_prefix:-btslurm}"
# 10.x only inside our namespaces; no route leads out of them.
cluster_subnet="10.62.237"
declare -gA host_octet=([slurmctl]=1 [node1]=11 [node2]=12 [results]=20)

# The namespace name of HOST (or "switch").
ns_of() { echo "$cluster_prefix-$1"; }

# The address of HOST on the cluster network.
host_addr() {
  [ -n "${host_octet[$1]:-}" ] || { echo "host_addr: no host named '$1'" >&2; return 1; }
  echo "$cluster_subnet.${host_octet[$1]}"
}

# Runs CMD... on HOST: in its network namespace only. nsenter --net, not
# `ip netns exec`, which also remounts /sys and so breaks slurmd's cgroup
# plugin. The mount, PID and UTS namespaces stay the machine's.
run_in() {
  local host="$1"
  shift
  nsenter --net="/run/netns/$(ns_of "$host")" -- "$@"
}

# Says why this machine cannot make our namespaces (returns 1), without
# touching anything.
netns_check() {
  [ "$(id -u)" -eq 0 ] || { echo "network namespaces need root (running as $(id -un))"; return 1; }
  local tool
  for tool in ip nsenter; do
    command -v "$tool" >/dev/null ||
      { echo "'$tool' is missing: scripts/setup.sh installs iproute2 and util-linux"; return 1; }
  done
}

# Says why a network namespace cannot be made here (returns 1), by making
# one and deleting it.
netns_probe() {
  local probe err
  probe="$(ns_of probe)"
  err="$(ip netns add "$probe" 2>&1)" ||
    { echo "cannot create a network namespace: $err"; return 1; }
  ip netns del "$probe"
}

# Creates the switch namespace with bridge br0 and one namespace per HOST,
# each joined to br0 by a veth pair made inside the switch namespace.
net_up() {
  local switch
  switch="$(ns_of switch)"
  ip netns add "$switch"
  ip -n "$switch" link set lo up
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  local host ns
  for host in "$@"; do
    ns="$(ns_of "$host")"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # Both ends are born in the switch namespace; one moves to the host.
    ip -n "$switch" link add "to-$host" type veth peer name eth0 netns "$ns"
    ip -n "$switch" link set "to-$host" master br0 up
    ip -n "$ns" addr add "$(host_addr "$host")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

# The names of every namespace of ours, this run's or a crashed one's.
our_namespaces() {
  ip netns list | awk '{print $1}' | grep "^$cluster_prefix-" || true
}

# Kills every process whose network namespace is NS, at once (SIGKILL, as
# when a host dies), pass after pass until none is left: a process forked
# between the listing and the kill would otherwise live on. Returns 1 if
# some survive 5 s of this.
kill_namespace_processes() {
  local ns="$1" pids _
  for _ in $(seq 100); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [ -n "$pids" ] || return 0
    kill -KILL $pids 2>/dev/null || true
    sleep 0.05
  done
  return 1
}

# Stops every process in our namespaces and deletes the namespaces (which
# takes their veths and the bridge with them).
net_down() {
  local ns
  for ns in $(our_namespaces); do
    kill_namespace_processes "$ns" || echo "net_down: processes outlive SIGKILL in $ns" >&2
    ip netns del "$ns" 2>/dev/null || true
  done
  [ -z "$(our_namespaces)" ]
}

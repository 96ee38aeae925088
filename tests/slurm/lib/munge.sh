# Sourced: MUNGE, the credential service Slurm's daemons and clients
# authenticate with. A fresh key is made for every run in the run's own
# directory and munged runs as the munge user (as Debian's service does; it
# refuses keys and sockets it does not trust) on the controller's host. Its
# socket is a file, so every "host" reaches it through the shared filesystem;
# slurm.conf names it (AuthInfo=socket=...).
#
# Needs netns.sh (run_in), cluster.sh (wait_for) and the munge package.

# munge_up DIR: makes DIR (owned by munge), a key in it, and starts munged
# in the foreground (its log: DIR/munged.out) with its socket, PID and seed
# files there; waits until a credential round-trips through it. Sets
# munge_socket.
munge_up() {
  local dir="$1"
  install -d -o munge -g munge -m 0755 "$dir"
  as_munge mungekey --create --keyfile="$dir/munge.key"
  munge_socket="$dir/munge.socket"
  # The lock's descriptor (9) is not handed to a daemon that outlives us.
  run_in slurmctl setpriv --reuid=munge --regid=munge --init-groups \
    munged --foreground --key-file="$dir/munge.key" --socket="$munge_socket" \
    --pid-file="$dir/munged.pid" --seed-file="$dir/munged.seed" >"$dir/munged.out" 2>&1 9>&- &
  wait_for 10 "munged answering on $munge_socket" munge_round_trip || {
    tail -n 20 "$dir/munged.out" >&2
    return 1
  }
}

munge_round_trip() {
  munge --socket="$munge_socket" --no-input 2>/dev/null |
    unmunge --socket="$munge_socket" >/dev/null 2>&1
}

as_munge() { setpriv --reuid=munge --regid=munge --init-groups -- "$@"; }

# Sourced: MUNGE, the credential service Slurm's daemons and clients
# authenticate with. A fresh key is made for every run in the run's own
# directory and munged runs as the munge user (as Debian's service does; it
# refuses keys and sockets it does not trust) on the controller's host. Its
# socket is a file, so every "host" reaches it through the shared filesystem;
# slurm.conf names it (AuthInfo=socket=...).
#
# Needs netns.sh (run_in) and the munge package.

# munge_up DIR: makes DIR (owned by munge), a key in it, and starts munged
# with its socket, log, PID and seed files there; waits until a credential
# round-trips through it. Sets munge_socket.
munge_up() {
  local dir="$1"
  install -d -o munge -g munge -m 0755 "$dir"
  as_munge mungekey --create --keyfile="$dir/munge.key"
  munge_socket="$dir/munge.socket"
  # The lock's descriptor (9) is not handed to a daemon that outlives us.
  run_in slurmctl setpriv --reuid=munge --regid=munge --init-groups \
    munged --foreground --key-file="$dir/munge.key" --socket="$munge_socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
    --seed-file="$dir/munged.seed" >"$dir/munged.out" 2>&1 9>&- &
  local _
  for _ in $(seq 100); do
    if munge --socket="$munge_socket" --no-input 2>/dev/null |
      unmunge --socket="$munge_socket" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "munged did not answer on $munge_socket within 10 s:" >&2
  tail -n 20 "$dir/munged.out" "$dir/munged.log" >&2 2>/dev/null || true
  return 1
}

as_munge() { setpriv --reuid=munge --regid=munge --init-groups -- "$@"; }

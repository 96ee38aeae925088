# Sourced by the shell tests that run a Python strategy service (the
# examples' sma_cross, the peeking fixture): the interpreter check, `fail`,
# and starting a service and learning its address. Needs `root` (the runfiles
# root) set and the test's own directory as the working directory.
python=/usr/bin/python3

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

if ! "$python" -c "import grpc, google.protobuf" 2>/dev/null; then
  fail "$python lacks grpc or protobuf; scripts/setup.sh installs" \
    "python3-grpcio and python3-protobuf"
fi

# Generates the Python stubs into ./stubs, starts
# `$python SCRIPT [ARGS...] --listen 127.0.0.1:0 --stubs stubs` in the
# background (killed when the test exits) and sets `address` to the
# host:port it prints, waiting up to 30 s.
start_strategy_service() {
  "$root/examples/python_strategy/generate_stubs.sh" stubs "$root/protos"
  # Made before the server starts: the loop below may read it before the
  # background shell has opened it.
  : >server.out
  "$python" "$@" --listen 127.0.0.1:0 --stubs stubs >server.out 2>server.err &
  server=$!
  trap 'kill "$server" 2>/dev/null || true' EXIT
  address=""
  for _ in $(seq 300); do
    address="$(sed -n 's/^strategy service listening on //p' server.out)"
    [ -n "$address" ] && return 0
    kill -0 "$server" 2>/dev/null || fail "the server exited: $(cat server.err)"
    sleep 0.1
  done
  fail "the server printed no address in 30 s"
}

# free_ports N: N loopback ports that nothing holds now, one per line, at
# random below the kernel's ephemeral range (where client connections take
# their local ports), as tests/child_process.cc's FreePort picks them.
free_ports() {
  "$python" - "$1" <<'PY'
import random, socket, sys
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    limit = int(f.read().split()[0])
chosen = []
while len(chosen) < int(sys.argv[1]):
    port = random.randrange(10000, limit)
    if port in chosen:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    chosen.append(port)
print("\n".join(map(str, chosen)))
PY
}

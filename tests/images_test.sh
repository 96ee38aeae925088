#!/usr/bin/env bash
# The image as a cluster runs it: scripts/images.sh builds it (cached when its
# inputs are unchanged), the six services start each in its own container
# (--network host, loopback ports, read-only root, no capabilities, the
# image's non-root user), and a backtest submitted with `bt run --remote`
# gives the same trades, fills, rejections, equity and metrics as the
# embedded run of the same spec. Synthetic data always; ORCL too when
# SHARED_DATA_DIR is set. Prints the build time, image size, each container's
# start-to-SERVING time, its resident memory idle and at its peak during the
# runs, and the CPU time the runs cost it (docs/deploy.md's resource figures
# come from here).
# Needs root, podman, buildah, debootstrap and runc (scripts/setup.sh); fails
# with the reason where they cannot run.
set -euo pipefail
root="$PWD"
python=/usr/bin/python3
bt="$root/cli/bt"
services=(data strategy portfolio execution results coordinator)

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# Seconds since $1 (date +%s.%N), one decimal.
elapsed() {
  awk -v now="$(date +%s.%N)" -v since="$1" 'BEGIN {printf "%.1f", now - since}'
}

[ "$(id -u)" -eq 0 ] || fail "podman's storage and debootstrap need root"
command -v podman >/dev/null ||
  fail "podman is missing: scripts/setup.sh installs podman, buildah, debootstrap and runc"
"$python" -c "import grpc" 2>/dev/null ||
  fail "$python lacks grpc: scripts/setup.sh installs python3-grpcio"
export HOME="${HOME:-$TEST_TMPDIR}"
# The repository itself (runfiles are symlinks into it): images.sh stamps the
# image with its git revision.
repo="$(cd "$(dirname "$(readlink -f "$root/scripts/images.sh")")/.." && pwd)"
export CONTAINERS_CONF="$repo/deploy/image/containers.conf"

# Not under TEST_TMPDIR: the data keeps its path inside the containers, and
# the image's /root (where Bazel's tree lives) is closed to its user.
work="$(mktemp -d /var/tmp/seed-images-test.XXXXXX)"
chmod 755 "$work"
prefix="seed-images-test-$$"
cleanup() {
  for service in "${services[@]}"; do
    podman rm --force --time 2 "$prefix-$service" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- the image ---------------------------------------------------------------
mkdir -p "$work/bin"
for service in "${services[@]}"; do
  cp "$root/services/$service/${service}_server" "$work/bin/"
done
cp "$bt" "$work/bin/"
start=$(date +%s.%N)
"$repo/scripts/images.sh" --binaries "$work/bin" >"$work/images.out" 2>"$work/images.err" ||
  fail "scripts/images.sh failed: $(tail -20 "$work/images.err")"
build_seconds=$(elapsed "$start")
image="$(tail -1 "$work/images.out")"
grep -E "cached|up to date|built in" "$work/images.err" || true
size_mb=$(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f", $1 / 1e6}')
user=$(podman image inspect --format '{{.Config.User}}' "$image")
[ "${user%%:*}" != 0 ] && [ -n "$user" ] || fail "$image runs as root (User '$user')"
revision=$(podman image inspect --format \
  '{{index .Labels "org.opencontainers.image.revision"}}' "$image")
[ -n "$revision" ] || fail "$image has no org.opencontainers.image.revision label"

# --- the market and the specs ------------------------------------------------
"$bt" data synth --out "$work/market" --symbols 5 --seed 42 >/dev/null
chmod -R a+rX "$work/market"  # the containers run as the image's user
data_dirs=("$work/market")
cat >"$work/synth.yaml" <<SPEC
name: image-synth
data: {path: $work/market, symbols: [SYNA, SYNB, SYNC, SYND, SYNE]}
strategy: {name: sma_cross, params: {fast: 10, slow: 30}}
portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, percent: 0.2}}
execution: {commission: {model: percent, bps: 10}, slippage: {model: fixed_bps, bps: 5}}
SPEC
specs=(synth)
if [ -n "${SHARED_DATA_DIR:-}" ] && [ -f "$SHARED_DATA_DIR/ORCL.csv" ]; then
  data_dirs+=("$(readlink -f "$SHARED_DATA_DIR")")
  cat >"$work/orcl.yaml" <<SPEC
name: image-orcl
data: {path: ${data_dirs[1]}, symbols: [ORCL]}
strategy: {name: sma_cross, params: {fast: 10, slow: 30}}
portfolio: {initial_cash: 100000, sizing: {rule: all_in, cash_buffer: 0.01}}
execution: {commission: {model: percent, bps: 10}}
SPEC
  specs+=(orcl)
else
  echo "ORCL skipped: SHARED_DATA_DIR with the shared daily files is not set"
fi

# --- the containers ----------------------------------------------------------
# One free loopback port per service (a server on a used port would share it
# silently: gRPC sets SO_REUSEPORT).
read -r -a ports <<<"$("$python" - <<'PY'
import socket
sockets = [socket.socket() for _ in range(6)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
)"
declare -A address
for i in "${!services[@]}"; do
  address[${services[$i]}]="127.0.0.1:${ports[$i]}"
done
mkdir -p "$work/results"
chown 65532:65532 "$work/results"

declare -A extra_args
mounts=()
for dir in "${data_dirs[@]}"; do mounts+=(--volume "$dir:$dir:ro"); done
extra_args[data]="${mounts[*]}"
extra_args[results]="--volume $work/results:/var/lib/seed"
declare -A flags
flags[results]="--db=/var/lib/seed/results.db"
flags[coordinator]="--data=${address[data]} --strategy=${address[strategy]}"
flags[coordinator]+=" --portfolio=${address[portfolio]}"
flags[coordinator]+=" --execution=${address[execution]} --results=${address[results]}"

declare -A serving_seconds pid
for service in "${services[@]}"; do
  started=$(date +%s.%N)
  # shellcheck disable=SC2086  # the extra arguments are word lists
  podman run --detach --name "$prefix-$service" --network host --read-only \
    --cap-drop ALL --security-opt no-new-privileges ${extra_args[$service]:-} \
    "$image" "/usr/local/bin/${service}_server" \
    "--listen=${address[$service]}" ${flags[$service]:-} \
    >/dev/null 2>"$work/$service.run.err" ||
    fail "podman could not start the $service container: $(cat "$work/$service.run.err")"
  serving_seconds[$service]="$("$python" "$root/tests/grpc_health.py" \
    "${address[$service]}" --timeout 60 --since "$started")" ||
    fail "$service did not become SERVING; its log: $(podman logs "$prefix-$service" 2>&1 | tail -20)"
  pid[$service]=$(podman inspect --format '{{.State.Pid}}' "$prefix-$service")
done

# Resident memory of a container's server process, in MiB: VmRSS now or
# VmHWM (the peak so far).
memory_mib() {
  awk -v field="$2:" '$1 == field {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}
# CPU seconds (user + system) a container's server process has used.
ticks=$(getconf CLK_TCK)
cpu_seconds() {
  awk -v ticks="$ticks" '{printf "%.2f", ($14 + $15) / ticks}' "/proc/$1/stat"
}
declare -A idle_mib idle_cpu
for service in "${services[@]}"; do
  idle_mib[$service]=$(memory_mib "${pid[$service]}" VmRSS)
  idle_cpu[$service]=$(cpu_seconds "${pid[$service]}")
done

# --- the runs: remote through the containers, then embedded ------------------
# Prints the run id `bt run` named; fails with its output otherwise.
run_id() {
  sed -n 's/.*(bt show \(.*\))$/\1/p' "$1"
}
declare -A remote_seconds
cd "$work"
for spec in "${specs[@]}"; do
  started=$(date +%s.%N)
  "$bt" run "$spec.yaml" --remote "${address[coordinator]}" \
    --results="${address[results]}" --export "$spec-remote" \
    >"$spec-remote.out" 2>"$spec-remote.err" ||
    fail "$spec: bt run --remote failed: $(cat "$spec-remote.err" "$spec-remote.out")"
  remote_seconds[$spec]=$(elapsed "$started")
  "$bt" run "$spec.yaml" --db embedded.db --export "$spec-embedded" \
    >"$spec-embedded.out" 2>"$spec-embedded.err" ||
    fail "$spec: embedded bt run failed: $(cat "$spec-embedded.err")"
  remote_id="$(run_id "$spec-remote.out")"
  [ -n "$remote_id" ] || fail "$spec: no run id in: $(cat "$spec-remote.out")"
  "$bt" show "$remote_id" --results="${address[results]}" --json --records \
    >"$spec-remote.json" || fail "$spec: bt show of the remote run failed"
  "$bt" show "$(run_id "$spec-embedded.out")" --db embedded.db --json \
    --records >"$spec-embedded.json" || fail "$spec: bt show of the embedded run failed"
  for file in trades.csv fills.csv rejections.csv equity.csv; do
    cmp -s "$spec-remote/$file" "$spec-embedded/$file" ||
      fail "$spec: $file differs: $(diff "$spec-remote/$file" "$spec-embedded/$file" | head -5)"
  done
  "$python" - "$spec" <<'PY' || fail "$spec: the remote run's results differ"
import json, sys
spec = sys.argv[1]
# What names one run apart from another (and where it is stored), not what
# it computed.
identity = {"run_id", "created_at", "finished_at", "location"}
def load(mode, suffix):
    with open(f"{spec}-{mode}{suffix}") as f:
        return json.load(f)
def same(what, remote, embedded):
    for key in sorted((set(remote) | set(embedded)) - identity):
        assert remote.get(key) == embedded.get(key), \
            f"{spec}: {what}{key}: remote {remote.get(key)!r}, embedded {embedded.get(key)!r}"
same("metrics.json: ", load("remote", "/metrics.json"), load("embedded", "/metrics.json"))
remote, embedded = load("remote", ".json"), load("embedded", ".json")
same("run.", remote.pop("run"), embedded.pop("run"))
same("", remote, embedded)  # spec, data hashes, trades, fills, rejections, equity
closed = sum(t["exit_reason"] != "open" for t in remote["trades"])
assert closed >= 10, f"{spec}: only {closed} closed trades, too few to compare"
print(f"{spec}: remote through the containers = embedded: {len(remote['trades'])} trades,"
      f" {len(remote['fills'])} fills, {len(remote['equity'])} equity points, metrics")
PY
done

# --- the figures ---------------------------------------------------------------
echo
echo "image $image (revision $revision): ${size_mb} MB, images.sh took ${build_seconds} s"
for spec in "${specs[@]}"; do
  echo "$spec: bt run --remote took ${remote_seconds[$spec]} s"
done
printf '%-12s %10s %10s %10s %12s\n' service "SERVING s" "idle MiB" "peak MiB" \
  "run CPU s"
for service in "${services[@]}"; do
  printf '%-12s %10s %10s %10s %12s\n' "$service" "${serving_seconds[$service]}" \
    "${idle_mib[$service]}" "$(memory_mib "${pid[$service]}" VmHWM)" \
    "$(awk -v now="$(cpu_seconds "${pid[$service]}")" -v idle="${idle_cpu[$service]}" \
      'BEGIN {printf "%.2f", now - idle}')"
done
echo "${#specs[@]} passed, 0 failed"

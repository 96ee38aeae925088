#!/usr/bin/env bash
# Builds the backtester's OCI image from Debian's archive alone, reproducibly
# and only when its inputs changed (docs/deploy.md says why one image):
#   1. the binaries: bazel build of the six servers and bt (or --binaries DIR);
#   2. the runtime base: debootstrap --variant=minbase of Debian 12 with the
#      packages of deploy/image/packages.txt and the suite's updates, a "seed"
#      user (uid 65532), no apt, docs or caches; every file's time clamped to
#      the archive's Release date, so the same archive state gives the same
#      layer. Tagged by a hash of its recipe, built once per recipe;
#   3. the image: deploy/image/Containerfile on that base, labelled with the
#      source revision, created at the commit time (podman build --timestamp),
#      and tagged inputs-<hash of binaries, Containerfile, base, labels>: with
#      that tag already present nothing is built. podman's own layer cache is
#      off (--no-cache): it reuses a LABEL step whose build arguments changed.
# Usage: scripts/images.sh [--binaries DIR] [--save DIR] [--mirror URL]
#                          [--source URL]
#   --binaries DIR  take data_server ... coordinator_server and bt from DIR
#                   instead of building them with bazel in this repository
#   --save DIR      also export DIR/seed-backtester-<revision>.oci.tar
#                   (podman save --format oci-archive)
#   --mirror URL    Debian mirror (default: the first of /etc/apt's sources)
#   --source URL    org.opencontainers.image.source (default: git's origin)
# Prints the image's inputs tag (localhost/seed-backtester:inputs-...) as the
# last line. Needs root, podman, buildah and debootstrap (scripts/setup.sh).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image_dir="$repo/deploy/image"
name=localhost/seed-backtester
suite=bookworm
binaries=(data_server strategy_server portfolio_server execution_server
  results_server coordinator_server bt)
targets=(//services/data:data_server //services/strategy:strategy_server
  //services/portfolio:portfolio_server //services/execution:execution_server
  //services/results:results_server //services/coordinator:coordinator_server
  //cli:bt)
export CONTAINERS_CONF="$image_dir/containers.conf"
# debootstrap and chroot live in sbin, which a test's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

die() {
  echo "images.sh: $*" >&2
  exit 1
}
log() { echo "images.sh: $*" >&2; }

bin_dir="" save_dir="" mirror="" source_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binaries) bin_dir="${2:?--binaries needs a directory}"; shift 2 ;;
    --save) save_dir="${2:?--save needs a directory}"; shift 2 ;;
    --mirror) mirror="${2:?--mirror needs a URL}"; shift 2 ;;
    --source) source_url="${2:?--source needs a URL}"; shift 2 ;;
    *) die "unknown argument '$1' (see the comment at the top of $0)" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, podman's storage)"
for tool in podman debootstrap sha256sum; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing: scripts/setup.sh installs podman, buildah, debootstrap and runc"
done

# The first Debian mirror apt uses (deb822 or one-line sources).
default_mirror() {
  local uri
  uri="$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ')"
  echo "${uri:-http://deb.debian.org/debian}"
}
mirror="${mirror:-$(default_mirror)}"
mirror="${mirror%/}"

# What the binaries are stamped with (scripts/workspace_status.sh), so the
# label and `bt diff`'s engine version name the same code.
revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$revision" != unknown ] &&
  [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  revision="$revision-dirty"
fi
created_epoch="${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}"
created="$(date -u -d "@$created_epoch" +%Y-%m-%dT%H:%M:%SZ)"
source_url="${source_url:-$(git -C "$repo" remote get-url origin 2>/dev/null || echo "local:seed-backtester")}"

work="$(mktemp -d /var/tmp/seed-images.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# --- 1. binaries -----------------------------------------------------------
mkdir -p "$work/context/bin"
if [ -z "$bin_dir" ]; then
  log "building ${targets[*]}"
  (cd "$repo" && bazel build "${targets[@]}" >&2)
  bin_dir="$(cd "$repo" && bazel info bazel-bin 2>/dev/null)"
  for i in "${!binaries[@]}"; do
    target="${targets[$i]#//}"
    install -m 0755 "$bin_dir/${target%%:*}/${target##*:}" "$work/context/bin/"
  done
else
  for binary in "${binaries[@]}"; do
    [ -f "$bin_dir/$binary" ] || die "--binaries $bin_dir has no $binary"
    install -m 0755 "$bin_dir/$binary" "$work/context/bin/"
  done
fi

# --- 2. the runtime base ---------------------------------------------------
packages="$(grep -vE '^\s*(#|$)' "$image_dir/packages.txt" | tr -s ' \n' ',,')"
packages="${packages%,}"

# Removes what a server never uses and what differs from one debootstrap to
# the next (logs, caches, host files, password ages), and clamps every file's
# time to the newest Release date of the suites installed from.
normalize_rootfs() {
  local rootfs="$1" epoch="$2" days
  days=$((epoch / 86400))
  sed -i -E "s/^([^:]*:[^:]*:)[0-9]+:/\1$days:/" "$rootfs/etc/shadow"
  rm -rf "$rootfs"/var/log/* "$rootfs"/var/cache/apt "$rootfs"/var/lib/apt \
    "$rootfs"/var/cache/ldconfig/aux-cache "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/lib/dpkg/*-old "$rootfs"/etc/*- "$rootfs"/etc/resolv.conf \
    "$rootfs"/etc/hostname "$rootfs"/usr/share/man "$rootfs"/usr/share/info \
    "$rootfs"/usr/share/locale "$rootfs"/usr/share/lintian \
    "$rootfs"/tmp/* "$rootfs"/etc/machine-id
  # Licences stay (each package's copyright file); the rest of the docs go.
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$rootfs" -xdev -newermt "@$epoch" -exec touch -h -d "@$epoch" {} +
}

# debootstrap, the suite's updates and security fixes, the seed user, no apt.
build_base() {
  local rootfs="$1" archive_date
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" \
    "$mirror" >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed (log below)"$'\n'"$(tail -20 "$work/debootstrap.log")"
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
SOURCES
  {
    chroot "$rootfs" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get upgrade -y -qq
  } >"$work/upgrade.log" 2>&1 ||
    die "apt-get upgrade in the base failed"$'\n'"$(tail -20 "$work/upgrade.log")"
  archive_date="$(sed -n 's/^Date: //p' "$rootfs"/var/lib/apt/lists/*_InRelease |
    while read -r line; do date -u -d "$line" +%s; done | sort -n | tail -1)"
  chroot "$rootfs" groupadd --system --gid 65532 seed
  chroot "$rootfs" useradd --uid 65532 --gid 65532 \
    --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin seed
  install -d -o 65532 -g 65532 -m 0750 "$rootfs/var/lib/seed"
  chroot "$rootfs" dpkg --purge apt libapt-pkg6.0 >>"$work/upgrade.log" 2>&1 ||
    die "removing apt from the base failed: $(tail -5 "$work/upgrade.log")"
  normalize_rootfs "$rootfs" "$archive_date"
  tar --sort=name --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$rootfs" -cf "$work/base/rootfs.tar" .
  printf 'FROM scratch\nADD rootfs.tar /\n' >"$work/base/Containerfile"
  podman build --no-cache --isolation chroot --network host --timestamp "$archive_date" \
    --label "io.seed.base.archive-date=$(date -u -d "@$archive_date" +%F)" \
    --label "io.seed.base.recipe=$base_key" \
    --tag "$base" "$work/base" >"$work/base-build.log" 2>&1 ||
    die "podman build of the base failed"$'\n'"$(tail -20 "$work/base-build.log")"
}

# The recipe: the package list, suite, mirror and the code above (bash prints
# functions normalized, so comments elsewhere in this file do not count).
base_key="$( {
  echo "$suite $mirror $packages"
  declare -f normalize_rootfs build_base
} | sha256sum | cut -c1-16)"
base="$name-base:$base_key"
start=$SECONDS
if podman image exists "$base"; then
  log "runtime base $base is cached"
else
  log "building the runtime base $base (debootstrap from $mirror)"
  mkdir -p "$work/base"
  build_base "$work/rootfs"
  log "runtime base built in $((SECONDS - start)) s"
fi

# --- 3. the image ------------------------------------------------------------
cp "$image_dir/Containerfile" "$work/context/Containerfile"
base_id="$(podman image inspect --format '{{.Id}}' "$base")"
inputs="$( {
  (cd "$work/context" && sha256sum Containerfile bin/*)
  echo "base $base_id revision $revision created $created source $source_url"
} | sha256sum | cut -c1-16)"
tag="$name:inputs-$inputs"
if podman image exists "$tag"; then
  log "$tag is up to date: its inputs are unchanged"
else
  log "building $tag (revision $revision)"
  podman build --no-cache --isolation chroot --network host --timestamp "$created_epoch" \
    --build-arg "BASE=$base" --build-arg "REVISION=$revision" \
    --build-arg "SOURCE=$source_url" --build-arg "CREATED=$created" \
    --build-arg "INPUTS=$inputs" --tag "$tag" "$work/context" \
    >"$work/build.log" 2>&1 ||
    die "podman build failed"$'\n'"$(tail -20 "$work/build.log")"
  # Every shared library the binaries load must be in the image.
  podman run --rm --network none "$tag" /bin/sh -c "ldd /usr/local/bin/*" \
    >"$work/ldd.txt" 2>&1 ||
    die "cannot run ldd in the image: $(tail -5 "$work/ldd.txt")"
  missing="$(grep "not found" "$work/ldd.txt" || true)"
  if [ -n "$missing" ]; then
    podman rmi "$tag" >/dev/null
    die "the image lacks libraries the binaries need; add their packages" \
      "to deploy/image/packages.txt:"$'\n'"$missing"
  fi
fi
short="${revision:0:12}"
[[ "$revision" == *-dirty ]] && short+=-dirty
podman tag "$tag" "$name:$short" "$name:latest"
log "built in $((SECONDS - start)) s; $(podman image inspect --format '{{.Size}}' "$tag" |
  awk '{printf "%.0f MB", $1 / 1e6}')"

if [ -n "$save_dir" ]; then
  mkdir -p "$save_dir"
  archive="$save_dir/seed-backtester-$short.oci.tar"
  rm -f "$archive"
  podman save --format oci-archive --output "$archive" "$tag" >&2
  log "saved $archive"
fi
echo "$tag"

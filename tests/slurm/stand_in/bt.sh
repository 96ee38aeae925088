#!/usr/bin/env bash
# A stand-in for `bt sweep` in the Slurm test, with the command line and the
# contract the real one will have, so that deploy/slurm/sweep.sbatch runs it
# unchanged until the real binary replaces it:
#
#   bt.sh sweep SPEC --job ID --results HOST:PORT [--shard I/N]
#
# - SPEC is a file with a line `children: N` (the real spec's sweep block
#   expands to N children).
# - The shard is I/N from --shard, else SLURM_ARRAY_TASK_ID /
#   SLURM_ARRAY_TASK_COUNT; shard I runs the children c with c % N == I.
# - Idempotent children: a child the results service (results_service.py)
#   has stored is skipped; any other is "run" (a short sleep) and stored.
# Exits 0 when every child of the shard is stored, 1 on a failure, 2 on bad
# usage.
set -euo pipefail

usage() {
  echo "usage: $0 sweep SPEC --job ID --results HOST:PORT [--shard I/N]" >&2
  echo "stand-in bt: $*" >&2
  exit 2
}

[ "${1:-}" = sweep ] || usage "only 'sweep' is stood in for"
[ $# -ge 2 ] || usage "no SPEC"
spec="$2"
shift 2
job="" results="" shard=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage "$1 needs a value"
  case "$1" in
    --job) job="$2" ;;
    --results) results="$2" ;;
    --shard) shard="$2" ;;
    *) usage "unknown argument '$1'" ;;
  esac
  shift 2
done
[ -n "$job" ] || usage "--job ID is required"
[[ "$results" =~ ^[^:]+:[0-9]+$ ]] || usage "--results HOST:PORT is required, got '$results'"
if [ -z "$shard" ]; then
  [ -n "${SLURM_ARRAY_TASK_ID:-}" ] && [ -n "${SLURM_ARRAY_TASK_COUNT:-}" ] ||
    usage "no --shard and no SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT"
  shard="$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"
fi
[[ "$shard" =~ ^([0-9]+)/([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -lt "${BASH_REMATCH[2]}" ] ||
  usage "shard '$shard' is not I/N with I < N"
shard_index="${BASH_REMATCH[1]}" shard_count="${BASH_REMATCH[2]}"
[ -r "$spec" ] || usage "cannot read the spec $spec"
children="$(sed -n 's/^children: *\([0-9][0-9]*\)$/\1/p' "$spec")"
[ -n "$children" ] || usage "$spec has no 'children: N' line"

# One request, one reply line, over TCP (bash's /dev/tcp).
ask() {
  local fd reply
  exec {fd}<>"/dev/tcp/${results%:*}/${results##*:}" ||
    { echo "stand-in bt: cannot reach the results service at $results" >&2; return 1; }
  printf '%s\n' "$*" >&"$fd"
  read -r reply <&"$fd" || reply=""
  exec {fd}>&-
  case "$reply" in
    ERROR* | "") echo "stand-in bt: $results answered '$reply' to '$*'" >&2; return 1 ;;
  esac
  echo "$reply"
}

for ((child = shard_index; child < children; child += shard_count)); do
  if [ "$(ask GET "$job" "$child")" = SUCCEEDED ]; then
    echo "child $child of $job: stored already, skipped"
    continue
  fi
  sleep 0.5
  ask STORE "$job" "$child" >/dev/null
  echo "child $child of $job: run and stored"
done

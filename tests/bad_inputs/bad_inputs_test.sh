#!/usr/bin/env bash
# The bad-input corpus (cases.txt): bt refuses each input quickly, by name,
# with the documented exit code, and leaves no run unfinished.
set -euo pipefail
exec /usr/bin/python3 tests/bad_inputs/run_corpus.py cli/bt \
  tests/bad_inputs/cases.txt "$@"

#!/usr/bin/env bash
# Bazel's workspace status: the source revision every binary is stamped with,
# so each run's fingerprint names the code that produced it. "-dirty" marks a
# build with uncommitted changes.
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
echo "STABLE_SOURCE_REVISION $revision"

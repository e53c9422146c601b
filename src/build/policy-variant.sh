#!/bin/sh
# Builds a runtime from this commit with a different policy (one more relay domain), so that the
# image rollback test has two images with two policy digests. Prints the archive's path.
#
#   src/build/policy-variant.sh [OUT_DIR]     (default: target/variant)
set -eu
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
out=${1:-$repo/target/variant}
work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-variant.XXXXXX")
trap 'rm -rf "$work"' EXIT

git clone -q "$repo" "$work/src"
printf '%s\n' "# the rollback test's second policy" "rollback.example" >> "$work/src/policy/lists/relay-domains.txt"
if ! (cd "$work/src" && ${MVN:-mvn} -B -q -ntp package -DskipTests > "$work/build.log" 2>&1); then
  tail -n 40 "$work/build.log" >&2
  echo "policy-variant.sh: the build failed" >&2
  exit 1
fi
mkdir -p "$out"
rm -f "$out"/bulwark-*.tar.gz
cp "$work"/src/target/bulwark-*.tar.gz "$out"/
ls "$out"/bulwark-*.tar.gz

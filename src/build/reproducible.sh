#!/bin/sh
# Proves that the runtime archive is reproducible: clones one commit into two different
# directories, builds each from clean (mvn -B -q package -DskipTests), and compares the archives'
# SHA-256. Exit 0 when they are byte-identical; exit 1 naming every differing entry otherwise.
#
#   src/build/reproducible.sh [COMMIT]      (default: HEAD of this checkout)
#   src/build/reproducible.sh --compare A.tar.gz B.tar.gz   (only the comparison)
#
# Environment: MVN (default mvn), KEEP=1 keeps the build directories for inspection.
# A signing key in BULWARK_SIGNING_KEY is used by both builds (Ed25519 signatures are deterministic).
set -eu

work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-reproducible.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  echo "keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi

if [ "${1:-}" = "--compare" ]; then
  [ $# -eq 3 ] || { echo "usage: $0 --compare A.tar.gz B.tar.gz" >&2; exit 2; }
  a=$2
  b=$3
else
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse --verify "${1:-HEAD}^{commit}")
mvn=${MVN:-mvn}

# Two directories of different depth and name, so that no build path can leak into the archive
# unnoticed; the second build also runs under another time zone, locale and umask.
dir_a=$work/a/bulwark
dir_b=$work/second/build-tree/src
for dir in "$dir_a" "$dir_b"; do
  mkdir -p "$(dirname "$dir")"
  git clone --quiet --no-checkout "$repo" "$dir"
  git -C "$dir" checkout --quiet --detach "$commit"
  echo "building $commit in $dir"
  if [ "$dir" = "$dir_b" ]; then
    variant='umask 077; export TZ=Pacific/Kiritimati LC_ALL=C LANG=C'
  else
    variant='umask 022; export TZ=UTC'
  fi
  if ! (eval "$variant" && cd "$dir" && "$mvn" -B -q package -DskipTests >"$dir.log" 2>&1); then
    echo "reproducible: the build in $dir failed:" >&2
    tail -n 40 "$dir.log" >&2
    exit 2
  fi
done

archive() {
  found=$(find "$1/target" -maxdepth 1 -name 'bulwark-*.tar.gz')
  if [ -z "$found" ] || [ "$(printf '%s\n' "$found" | wc -l)" -ne 1 ]; then
    echo "reproducible: expected one target/bulwark-*.tar.gz in $1, found: ${found:-none}" >&2
    exit 2
  fi
  printf '%s\n' "$found"
}
a=$(archive "$dir_a")
b=$(archive "$dir_b")
fi

sum_a=$(sha256sum "$a" | cut -d' ' -f1)
sum_b=$(sha256sum "$b" | cut -d' ' -f1)
echo "$sum_a  $a"
echo "$sum_b  $b"

if [ "$(basename "$a")" = "$(basename "$b")" ] && [ "$sum_a" = "$sum_b" ]; then
  echo "reproducible: $(basename "$a") is byte-identical in both builds (sha256 $sum_a)"
  exit 0
fi

echo "NOT reproducible: the archives differ" >&2
[ "$(basename "$a")" = "$(basename "$b")" ] || echo "  names differ: $(basename "$a") vs $(basename "$b")" >&2
mkdir -p "$work/unpacked/a" "$work/unpacked/b"
tar -xzf "$a" -C "$work/unpacked/a"
tar -xzf "$b" -C "$work/unpacked/b"
# Entry metadata (order, mode, owner, time, size) first, then contents file by file.
tar -tvzf "$a" >"$work/list-a"
tar -tvzf "$b" >"$work/list-b"
if ! cmp -s "$work/list-a" "$work/list-b"; then
  echo "  entry listings differ:" >&2
  diff "$work/list-a" "$work/list-b" | sed 's/^/    /' >&2 || true
fi
(cd "$work/unpacked/a" && find . -type f | sort) >"$work/files-a"
(cd "$work/unpacked/b" && find . -type f | sort) >"$work/files-b"
sort -u "$work/files-a" "$work/files-b" | while read -r f; do
  if [ ! -f "$work/unpacked/a/$f" ] || [ ! -f "$work/unpacked/b/$f" ]; then
    echo "  ${f#./}: only in one archive" >&2
  elif ! cmp -s "$work/unpacked/a/$f" "$work/unpacked/b/$f"; then
    echo "  ${f#./}: contents differ" >&2
  fi
done
exit 1

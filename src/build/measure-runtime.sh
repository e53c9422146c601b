#!/bin/sh
# Benchmark of the runtime archive: size archived and on disk, start-up times, resident memory
# idle and under load. Prints a table; judges nothing (targets: runtime <= 60 MB, ready <= 0.5 s).
#
#   src/build/measure-runtime.sh [ARCHIVE] [RUNS] [CONNECTIONS] [MESSAGES_PER_CONNECTION] [RECIPIENT]
#
# ARCHIVE defaults to the one target/bulwark-*.tar.gz (build it with mvn package). The harness is
# src/build/MeasureRuntime.java, run with a JDK 25 (JAVA25, else JAVA_HOME, else /usr/lib/jvm/*25*).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
archive=${1:-}
if [ -z "$archive" ]; then
  archive=$(find "$root/target" -maxdepth 1 -name 'bulwark-*.tar.gz' | head -n 2)
  if [ -z "$archive" ] || [ "$(printf '%s\n' "$archive" | wc -l)" -ne 1 ]; then
    echo "measure-runtime: expected one target/bulwark-*.tar.gz (run mvn package), found: ${archive:-none}" >&2
    exit 2
  fi
fi
[ $# -gt 0 ] && shift

java25=
for candidate in "${JAVA25:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*25*; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] \
      && "$candidate/bin/java" -version 2>&1 | grep -q 'version "25'; then
    java25=$candidate/bin/java
    break
  fi
done
[ -n "$java25" ] || { echo "measure-runtime: no JDK 25 found (set JAVA25)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-measure.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$archive" -C "$work"
home=$work/bulwark

printf '%-44s  %s\n' "archive" "$(basename "$archive")"
printf '%-44s  %s\n' "archive size" "$(( $(stat -c %s "$archive") / 1024 )) KiB ($(stat -c %s "$archive") bytes)"
printf '%-44s  %s\n' "runtime size, sum of file sizes" "$(( $(du -sb "$home" | cut -f1) / 1024 )) KiB"
printf '%-44s  %s\n' "runtime size on disk (du -sk)" "$(du -sk "$home" | cut -f1) KiB"
printf '%-44s  %s\n' "runtime files" "$(find "$home" -type f | wc -l)"
printf '%-44s  %s\n' "largest files" "$(cd "$home" && find . -type f -printf '%s %P\n' | sort -rn | head -n 4 | awk '{printf "%s %d KiB; ", $2, $1/1024}')"
printf '%-44s  %s\n' "machine" "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$java25" "$here/MeasureRuntime.java" "$home" "$@"

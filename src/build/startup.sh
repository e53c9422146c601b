#!/bin/sh
# Start-up benchmark (issue 15): wall time from fork of `bin/bulwark serve` to the first SMTP 220
# banner, over RUNS starts of a packaged runtime. Each start gets its own site file with a free
# loopback port for SMTP and a next hop on loopback; the harness polls that port until it reads
# the banner, then stops the node by PID. Prints every run and min/median/max; judges nothing
# (the target is a median of 0.3 s or less).
#
#   src/build/startup.sh [RUNTIME] [RUNS]
#
# RUNTIME: an unpacked runtime directory or a bulwark-*.tar.gz (default: target/runtime/bulwark,
# as left by mvn package). RUNS defaults to 20. The harness is src/build/Startup.java, run with a
# JDK 25 (JAVA25, else JAVA_HOME, else /usr/lib/jvm/*25*).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runtime=${1:-$root/target/runtime/bulwark}
runs=${2:-20}

java25=
for candidate in "${JAVA25:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*25*; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] \
      && "$candidate/bin/java" -version 2>&1 | grep -q 'version "25'; then
    java25=$candidate/bin/java
    break
  fi
done
[ -n "$java25" ] || { echo "startup: no JDK 25 found (set JAVA25)" >&2; exit 2; }

case $runtime in
  *.tar.gz)
    work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-startup.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    tar -xzf "$runtime" -C "$work"
    runtime=$work/bulwark
    ;;
esac
[ -x "$runtime/bin/bulwark" ] || { echo "startup: $runtime/bin/bulwark not found (run mvn package)" >&2; exit 2; }

printf 'runtime  %s\nmachine  %s cores, load average %s\n' "$runtime" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
exec "$java25" "$here/Startup.java" "$runtime" "$runs"

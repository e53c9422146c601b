#!/usr/bin/env bash
# Relay throughput: Postfix's smtp-source sends to Bulwark, which relays in-line to smtp-sink;
# beside it, smtp-source straight into smtp-sink in the same run. Prints messages per second at
# concurrency 1, 10 and 50 for 2 KB and 100 KB messages, and the relayed/direct ratio.
#
#   bash src/bench/relay-load.sh            # needs postfix (smtp-source, smtp-sink) and JDK 25
#   MESSAGES=5000 bash src/bench/relay-load.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

MESSAGES=${MESSAGES:-2000}          # per 2 KB cell; 100 KB cells send a fifth of it
CONCURRENCY=${CONCURRENCY:-"1 10 50"}
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SOURCE" ] && [ -x "$SINK" ] || { echo "needs smtp-source and smtp-sink (Debian package postfix)" >&2; exit 2; }
JAVA=${BULWARK_JAVA:-$(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | head -n1)}
[ -x "$JAVA" ] || { echo "needs a JDK 25 (set BULWARK_JAVA)" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {  # bounded: gives up after 20 s
  timeout 20 bash -c "until (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; do :; done"
}

mvn -q -B -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile="$work/classpath" -Dmdep.includeScope=test >/dev/null
cp="target/test-classes:target/classes:$(cat "$work/classpath")"

sink_port=$(free_port)
"$SINK" -u nobody 127.0.0.1:"$sink_port" 1024 &
pids+=($!)
wait_port "$sink_port"

mkfifo "$work/relay-in"
"$JAVA" -Xss512k -cp "$cp" dev.bulwark.bench.BenchRelay "127.0.0.1:$sink_port" \
  < "$work/relay-in" > "$work/relay-out" 2> "$work/relay-err" &
pids+=($!)
exec 7> "$work/relay-in"   # keeps the relay running until this script exits
timeout 60 bash -c "until grep -q '^ready ' '$work/relay-out'; do :; done"
relay_port=$(awk '/^ready /{print $2}' "$work/relay-out")

# One run: prints messages per second.
run() {  # port size count concurrency
  local start end
  start=$(date +%s.%N)
  if ! "$SOURCE" -s "$4" -m "$3" -l "$2" -f bench@sender.example -t bench@example.com \
      -M load.client.example 127.0.0.1:"$1" > "$work/source.out" 2>&1; then
    echo "smtp-source failed: $(tail -n 3 "$work/source.out")" >&2; exit 1
  fi
  if [ -s "$work/source.out" ]; then
    echo "smtp-source reported errors: $(head -n 3 "$work/source.out")" >&2; exit 1
  fi
  end=$(date +%s.%N)
  python3 -c "print(round($3 / ($end - $start)))"
}

# Warm the JIT so the first cell does not measure compilation.
run "$relay_port" 2048 $((MESSAGES / 2)) 10 >/dev/null

printf '%-8s %-12s %14s %14s %8s\n' size concurrency "direct msg/s" "relayed msg/s" ratio
for size in 2048 102400; do
  count=$MESSAGES
  [ "$size" -gt 10000 ] && count=$((MESSAGES / 5))
  for c in $CONCURRENCY; do
    direct=$(run "$sink_port" "$size" "$count" "$c")
    relayed=$(run "$relay_port" "$size" "$count" "$c")
    ratio=$(python3 -c "print(f'{$relayed / $direct:.2f}')")
    printf '%-8s %-12s %14s %14s %8s\n' "$((size / 1024)) KB" "$c" "$direct" "$relayed" "$ratio"
  done
done

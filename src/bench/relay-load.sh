#!/usr/bin/env bash
# Relay throughput, measured with Postfix's smtp-source and smtp-sink.
#
#   bash src/bench/relay-load.sh          smtp-source -> Bulwark -> smtp-sink, beside smtp-source ->
#                                         smtp-sink in the same run: messages per second at
#                                         concurrency 1, 10 and 50 for 2 KB and 100 KB messages.
#   bash src/bench/relay-load.sh limits   Bulwark with no rate limits, three local limits, and the
#                                         same three kept in Redis (needs redis-server): 2 KB messages.
#   bash src/bench/relay-load.sh auth     Bulwark without sender authentication and with SPF, DKIM,
#                                         DMARC and the policy's DNS lists answered by nsd on loopback
#                                         (needs nsd): messages per second, then the transaction
#                                         time (MAIL to the final reply) p50/p99 from the audit logs.
#
# Bulwark runs with the repository's policy and writes its audit log to a file, as a node does.
# MESSAGES (default 2000) is the count per 2 KB cell; 100 KB cells send a fifth of it. WARMUP
# (default 30000) messages go through each relay first: C2 keeps compiling for tens of thousands of
# messages, and a node runs for weeks, so the figures are for a warm JVM.
set -euo pipefail
cd "$(dirname "$0")/../.."

MODE=${1:-relay}
MESSAGES=${MESSAGES:-2000}
WARMUP=${WARMUP:-30000}
CONCURRENCY=${CONCURRENCY:-"1 10 50"}
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SOURCE" ] && [ -x "$SINK" ] || { echo "needs smtp-source and smtp-sink (Debian package postfix)" >&2; exit 2; }
JAVA=${BULWARK_JAVA:-$(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | head -n1)}
[ -x "$JAVA" ] || { echo "needs a JDK 25 (set BULWARK_JAVA)" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  exec 7>&- 8>&- 9>&- 2>/dev/null || true
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
  -Dmdep.outputFile="$work/classpath" -Dmdep.includeScope=test >/dev/null 2>&1
cp="target/test-classes:target/classes:$(cat "$work/classpath")"

sink_port=$(free_port)
"$SINK" -u nobody 127.0.0.1:"$sink_port" 1024 &
pids+=($!)
wait_port "$sink_port"

# Starts a relay (extra arguments go to BenchRelay) fed by file descriptor $1; sets RELAY_PORT.
# Not run in a subshell: the descriptor and the PID must stay with this script.
start_relay() {
  local fd=$1 name=$2; shift 2
  mkfifo "$work/$name-in"
  "$JAVA" -cp "$cp" dev.bulwark.bench.BenchRelay "127.0.0.1:$sink_port" --audit "$work/$name-audit.jsonl" "$@" \
    < "$work/$name-in" > "$work/$name-out" 2> "$work/$name-err" &
  pids+=($!)
  eval "exec $fd> \"$work/$name-in\""   # the relay runs until this script closes its standard input
  if ! timeout 60 bash -c "until grep -q '^ready ' '$work/$name-out'; do :; done"; then
    echo "relay $name did not start:" >&2; cat "$work/$name-err" >&2; exit 1
  fi
  RELAY_PORT=$(awk '/^ready /{print $2}' "$work/$name-out")
}

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

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

if [ "$MODE" = relay ]; then
  start_relay 7 relay; relay_port=$RELAY_PORT
  run "$relay_port" 2048 "$WARMUP" 10 >/dev/null   # JIT warm-up
  printf '%-8s %-12s %14s %14s %8s\n' size concurrency "direct msg/s" "relayed msg/s" ratio
  for size in 2048 102400; do
    count=$MESSAGES
    [ "$size" -gt 10000 ] && count=$((MESSAGES / 5))
    for c in $CONCURRENCY; do
      direct=$(run "$sink_port" "$size" "$count" "$c")
      relayed=$(run "$relay_port" "$size" "$count" "$c")
      printf '%-8s %-12s %14s %14s %8s\n' "$((size / 1024)) KB" "$c" "$direct" "$relayed" "$(ratio "$relayed" "$direct")"
    done
  done
elif [ "$MODE" = limits ]; then
  REDIS=$(command -v redis-server || echo /usr/bin/redis-server)
  [ -x "$REDIS" ] || { echo "needs redis-server" >&2; exit 2; }
  redis_port=$(free_port)
  "$REDIS" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 &
  pids+=($!)
  wait_port "$redis_port"
  start_relay 7 none --limits none; none=$RELAY_PORT
  start_relay 8 local --limits local; local_=$RELAY_PORT
  start_relay 9 fleet --limits fleet --redis "redis://127.0.0.1:$redis_port"; fleet=$RELAY_PORT
  for p in "$none" "$local_" "$fleet"; do run "$p" 2048 "$WARMUP" 10 >/dev/null; done
  printf '%-12s %16s %16s %16s\n' concurrency "no limits msg/s" "3 local msg/s" "3 in Redis msg/s"
  for c in $CONCURRENCY; do
    a=$(run "$none" 2048 "$MESSAGES" "$c")
    b=$(run "$local_" 2048 "$MESSAGES" "$c")
    f=$(run "$fleet" 2048 "$MESSAGES" "$c")
    printf '%-12s %16s %16s %16s\n' "$c" "$a" "$b" "$f"
  done
  if grep -q '"ratelimit:' "$work"/*-audit.jsonl; then echo "warning: a limit refused during the run" >&2; fi
elif [ "$MODE" = auth ]; then
  command -v nsd >/dev/null || [ -x /usr/sbin/nsd ] || { echo "needs nsd" >&2; exit 2; }
  start_relay 7 off --auth off; off=$RELAY_PORT
  start_relay 8 on --auth nsd; on=$RELAY_PORT
  for p in "$off" "$on"; do run "$p" 2048 "$WARMUP" 10 >/dev/null; done
  skip=$(wc -l < "$work/on-audit.jsonl")
  printf '%-12s %16s %16s %8s\n' concurrency "no auth msg/s" "auth msg/s" ratio
  for c in $CONCURRENCY; do
    a=$(run "$off" 2048 "$MESSAGES" "$c")
    b=$(run "$on" 2048 "$MESSAGES" "$c")
    printf '%-12s %16s %16s %8s\n' "$c" "$a" "$b" "$(ratio "$b" "$a")"
  done
  python3 - "$work/off-audit.jsonl" "$work/on-audit.jsonl" "$skip" <<'PY'
import json, sys
def times(path, skip):
    out = []
    with open(path) as f:
        for i, line in enumerate(f):
            r = json.loads(line)
            if i >= skip and r.get("kind") == "transaction":
                out.append(r["durations_ms"]["transaction"])
    out.sort()
    return out
def q(v, p):
    return v[min(len(v) - 1, int(p * len(v)))]
off, on = times(sys.argv[1], int(sys.argv[3])), times(sys.argv[2], int(sys.argv[3]))
print(f"transaction ms   p50 {q(off, .5)} -> {q(on, .5)}   p99 {q(off, .99)} -> {q(on, .99)}"
      f"   (added at p99: {q(on, .99) - q(off, .99)} ms, {len(on)} messages)")
with open(sys.argv[2]) as f:
    last = json.loads(f.readlines()[-1])
print("last audited auth:", json.dumps(last.get("auth")))
PY
else
  echo "usage: relay-load.sh [relay|limits|auth]" >&2; exit 2
fi

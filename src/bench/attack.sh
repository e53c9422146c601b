#!/usr/bin/env bash
# The attack benchmark (issue 11, ADR 0016): normal load beside hostile clients.
#
#   bash src/bench/attack.sh
#
# A relay (BenchRelay: the repository's policy, the shipped site caps) relays to smtp-sink. Each
# phase runs SECONDS (default 60): smtp-source sends 2 KB messages at concurrency 10 from 127.0.0.1
# (the normal load's throughput), and attack.py probes latency with sequential messages from
# 127.0.0.2 (p50, p99). The second phase adds attack.py's hostile clients from 127.0.1.0/24 to
# 127.0.6.0/24: 120 idle transactions kept open with NOOP, 20 slow DATA trickles, a 20-level nested
# message sent over and over, EHLO floods and a connection flood. Prints a table; "lost" counts
# messages the relay answered 250 for that the sink never got (audit accepts minus sink count).
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_PHASE=${SECONDS_PER_PHASE:-60}
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SOURCE" ] && [ -x "$SINK" ] || { echo "needs smtp-source and smtp-sink (Debian package postfix)" >&2; exit 2; }
JAVA=${BULWARK_JAVA:-$(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | head -n1)}
[ -x "$JAVA" ] || { echo "needs a JDK 25 (set BULWARK_JAVA)" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  exec 7>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_port() { timeout 20 bash -c "until (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; do :; done"; }

mvn -q -B -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile="$work/classpath" -Dmdep.includeScope=test >/dev/null 2>&1
cp="target/test-classes:target/classes:$(cat "$work/classpath")"

sink_port=$(free_port)
# -c: a running count of sessions and messages on standard output
"$SINK" -c -u nobody 127.0.0.1:"$sink_port" 1024 > "$work/sink.out" &
pids+=($!)
wait_port "$sink_port"

mkfifo "$work/relay-in"
"$JAVA" -Xmx512m -cp "$cp" dev.bulwark.bench.BenchRelay "127.0.0.1:$sink_port" --audit "$work/audit.jsonl" \
  --site clients.max-sessions-per-subnet=100 --site clients.max-transactions-per-client=10 \
  --site clients.max-transactions-per-subnet=20 --site transaction.lifetime=300 \
  < "$work/relay-in" > "$work/relay-out" 2> "$work/relay-err" &
relay_pid=$!
pids+=($relay_pid)
exec 7> "$work/relay-in"
timeout 60 bash -c "until grep -q '^ready ' '$work/relay-out'; do :; done" || { cat "$work/relay-err" >&2; exit 1; }
port=$(awk '/^ready /{print $2}' "$work/relay-out")

# warm up
"$SOURCE" -s 10 -m 3000 -l 2048 -f bench@sender.example -t bench@example.com 127.0.0.1:"$port" >/dev/null 2>&1 || true

phase() {  # name attack(yes/no)
  local name=$1 attack=$2 start end sent apid=""
  if [ "$attack" = yes ]; then
    python3 src/bench/attack.py attack "$port" $((SECONDS_PER_PHASE + 20)) &
    apid=$!; pids+=($apid)
    sleep 10   # let the hostile clients take what they can
  fi
  python3 src/bench/attack.py probe "$port" "$SECONDS_PER_PHASE" "$work/probe-$name" &
  local ppid=$!
  start=$(date +%s.%N); sent=0
  end_at=$(python3 -c "import time; print(time.time() + $SECONDS_PER_PHASE)")
  while python3 -c "import sys,time; sys.exit(0 if time.time() < $end_at else 1)"; do
    "$SOURCE" -s 10 -m 500 -l 2048 -f bench@sender.example -t bench@example.com \
      127.0.0.1:"$port" > "$work/source-$name.out" 2>&1 || true
    sent=$((sent + 500))
  done
  end=$(date +%s.%N)
  wait "$ppid"
  [ -n "$apid" ] && wait "$apid" || true
  local errors; errors=$(grep -c . "$work/source-$name.out" || true)
  local rss; rss=$(awk '/VmHWM/{print $2}' /proc/$relay_pid/status)
  python3 - "$name" "$sent" "$start" "$end" "$work/probe-$name" "$errors" "$rss" <<'PY'
import sys
name, sent, start, end, probe, errors, rss = sys.argv[1:]
lat = sorted(float(l.split()[0]) for l in open(probe) if l.split()[1] == "250")
bad = sum(1 for l in open(probe) if l.split()[1] != "250")
def pct(p): return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print("%-8s %10.0f %9.1f %9.1f %8d %9d %10.0f" % (name, int(sent) / (float(end) - float(start)),
      pct(0.5), pct(0.99), bad, int(errors), int(rss) / 1024))
PY
}

echo "phase      msgs/s   p50 ms    p99 ms  probe!250 src-errors  peak RSS MiB"
phase normal no
phase attack yes
exec 7>&-
wait "$relay_pid" 2>/dev/null || true
accepted=$(grep -cE '"verdict": ?"(accept|tag|quarantine)"' "$work/audit.jsonl" || true)
# smtp-sink -c rewrites one line with carriage returns; its last figure is the messages received.
delivered=$(tr '\r' '\n' < "$work/sink.out" | grep -E '[0-9]' | tail -n 1 | tr -c '0-9\n' ' ' | awk '{print $NF}')
echo "accepted by the relay: $accepted; received by the sink: ${delivered:-?}; lost: $(( accepted - ${delivered:-0} ))"

#!/usr/bin/env bash
# Relay throughput with the audit log (two JSON sinks: audit.file and a stand-in for standard output)
# and Prometheus metrics on, beside both off, in one JVM run on loopback.
#
#   src/bench/audit-metrics-throughput.sh [MESSAGES [CONCURRENCY [PER_CONNECTION [ROUNDS [BODY_BYTES]]]]]
#
# Defaults: 20000 messages, 16 clients, 10 messages per SMTP connection, 3 rounds, 2 KiB bodies.
# Prints one row per round and mode, then the medians. Needs JDK 25 (JAVA_HOME or the path below).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  echo "audit-metrics-throughput: JAVA_HOME=$JAVA_HOME is not a JDK 25; set JAVA_HOME" >&2
  exit 2
fi
mvn -q -B test-compile
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
exec "$JAVA_HOME/bin/java" -Xms256m -Xmx256m -XX:+UseSerialGC \
  -Dbulwark.log.level=warn \
  -cp "target/test-classes:target/classes:$(cat "$cp_file")" \
  dev.bulwark.bench.AuditMetricsThroughput "$@"

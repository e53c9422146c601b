#!/usr/bin/env bash
# Latency of SPF, DKIM (RSA-2048 and Ed25519), DMARC and a DNSBL check, and of all of them for one
# message, against nsd on a loopback port (apt-get install -y nsd), without and with the TTL cache.
#
#   src/bench/auth-latency.sh [ITERATIONS]      (default 2000)
#
# Prints p50, p99 and max in milliseconds per evaluation. Needs JDK 25 (JAVA_HOME or the path below).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  echo "auth-latency: JAVA_HOME=$JAVA_HOME is not a JDK 25; set JAVA_HOME" >&2
  exit 2
fi
mvn -q -B test-compile
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
exec "$JAVA_HOME/bin/java" -Xms256m -Xmx256m \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/test-classes:target/classes:$(cat "$cp_file")" \
  dev.bulwark.bench.AuthLatency "$@"

#!/bin/bash
# Table test of the guest's site-settings loader (packer/guest/lib/site-load) with the runtime it
# calls, run on the host: each image/test/site-load/NAME.conf is put on a seed directory as
# bulwark/site.conf (with a real tls.crt and tls.key beside it, and a tls-bad.crt that is not PEM)
# and must produce exactly NAME.expected on stderr; an empty .expected means the file is valid and
# must be published. Also checks the seed-file rules the loader keeps for itself.
#
# Usage: image/test/test-site-load.sh --runtime target/bulwark-<version>-<digest12>.tar.gz
#        (or --runtime DIR, an unpacked runtime: DIR/bin/bulwark)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
loader="$here/../../packer/guest/lib/site-load"
cases="$here/site-load"
runtime=""
while (($#)); do
  case $1 in
    --runtime) runtime=$2; shift 2 ;;
    *) echo "test-site-load: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -n $runtime ]] || { echo "usage: test-site-load.sh --runtime ARCHIVE|DIR" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -f $runtime ]]; then
  tar -xzf "$runtime" -C "$work" || exit 1
  runtime="$work/bulwark"
fi
[[ -x $runtime/bin/bulwark ]] || { echo "test-site-load: no $runtime/bin/bulwark" >&2; exit 2; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=site-load.test \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2> "$work/openssl.log" || { cat "$work/openssl.log"; exit 1; }

passed=0 failed=0
result() { if [[ $1 == ok ]]; then passed=$((passed + 1)); echo "ok - $2"; else failed=$((failed + 1)); echo "not ok - $2"; fi; }
load() {
  env -u JOURNAL_STREAM BULWARK_RUNTIME="$runtime" BULWARK_RUN_DIR="$work/run-$1" BULWARK_METRICS_PORT=9025 \
    "$loader" "$work/seed-$1" 2> "$work/$1.err" > "$work/$1.out"
}
seed() { # NAME: a seed directory with the certificate, its key and a file that is not PEM
  mkdir -p "$work/seed-$1/bulwark"
  cp "$work/tls.crt" "$work/tls.key" "$work/seed-$1/bulwark/"
  echo "not a certificate" > "$work/seed-$1/bulwark/tls-bad.crt"
}

for conf in "$cases"/*.conf; do
  name=$(basename "$conf" .conf)
  seed "$name"
  cp "$conf" "$work/seed-$name/bulwark/site.conf"
  load "$name"; rc=$?
  if [[ -s $cases/$name.expected ]]; then
    if ((rc != 0)) && diff -u "$cases/$name.expected" "$work/$name.err" > "$work/$name.diff" && [[ ! -e $work/run-$name ]]; then
      result ok "$name: refused with the expected diagnostics, nothing published"
    else
      result fail "$name: exit $rc, diagnostics differ:"; cat "$work/$name.diff" "$work/$name.err"
    fi
  else
    if ((rc == 0)) && cmp -s "$conf" "$work/run-$name/site.conf" &&
       [[ $(stat -c %a "$work/run-$name/tls.key") == 640 && $(stat -c %a "$work/run-$name/site.conf") == 644 ]] &&
       { ! grep -q '^tls.cert' "$conf" || [[ $(stat -c %a "$work/run-$name/tls.crt") == 644 ]]; }; then
      result ok "$name: accepted and published (site.conf and a certificate 0644, other files 0640)"
    else
      result fail "$name: exit $rc"; cat "$work/$name.err"
    fi
  fi
done

# Seed entries other than plain, plainly named files are refused before anything is published.
seed symlink && cp "$cases/valid-full.conf" "$work/seed-symlink/bulwark/site.conf"
rm "$work/seed-symlink/bulwark/tls.key" && ln -s /etc/shadow "$work/seed-symlink/bulwark/tls.key"
load symlink; rc=$?
if ((rc != 0)) && grep -q 'refusing seed entry bulwark/tls.key: only regular files are read' "$work/symlink.err" && [[ ! -e $work/run-symlink ]]; then
  result ok "a symbolic link on the seed is refused"
else
  result fail "a symbolic link on the seed is refused (exit $rc)"; cat "$work/symlink.err"
fi
mkdir -p "$work/seed-noconf/bulwark"
load noconf; rc=$?
if ((rc != 0)) && grep -q 'the seed volume has no bulwark/site.conf' "$work/noconf.err"; then
  result ok "a seed without bulwark/site.conf is refused"
else
  result fail "a seed without bulwark/site.conf is refused (exit $rc)"; cat "$work/noconf.err"
fi
# The image's metrics port comes from the release; a site file must follow it.
seed port && printf 'next-hop = 10.0.0.25:25\nmetrics.listen = 0.0.0.0:9100\n' > "$work/seed-port/bulwark/site.conf"
if env -u JOURNAL_STREAM BULWARK_RUNTIME="$runtime" BULWARK_RUN_DIR="$work/run-port" BULWARK_METRICS_PORT=9100 \
    "$loader" "$work/seed-port" > "$work/port.out" 2> "$work/port.err"; then
  result ok "metrics.listen follows the release's metrics port"
else
  result fail "metrics.listen follows the release's metrics port"; cat "$work/port.err"
fi
echo "site-load: $passed passed, $failed failed"
((failed == 0))

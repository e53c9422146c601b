#!/bin/bash
# Table test of the guest's site-settings loader (packer/guest/lib/site-load), run on the host:
# each image/test/site-load/NAME.conf is put on a seed directory as bulwark/site.conf (with a
# tls.crt and tls.key beside it) and must produce exactly NAME.expected on stderr; an empty
# .expected means the file is valid and must be published. Also checks the seed-file rules.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
loader="$here/../../packer/guest/lib/site-load"
cases="$here/site-load"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
result() { if [[ $1 == ok ]]; then passed=$((passed + 1)); echo "ok - $2"; else failed=$((failed + 1)); echo "not ok - $2"; fi; }
load() { BULWARK_RUN_DIR="$work/run-$1" BULWARK_METRICS_PORT=9025 "$loader" "$work/seed-$1" 2> "$work/$1.err" > "$work/$1.out"; }

for conf in "$cases"/*.conf; do
  name=$(basename "$conf" .conf)
  mkdir -p "$work/seed-$name/bulwark"
  cp "$conf" "$work/seed-$name/bulwark/site.conf"
  echo "certificate" > "$work/seed-$name/bulwark/tls.crt"
  echo "key" > "$work/seed-$name/bulwark/tls.key"
  load "$name"; rc=$?
  if [[ -s $cases/$name.expected ]]; then
    if ((rc != 0)) && diff -u "$cases/$name.expected" "$work/$name.err" > "$work/$name.diff"; then
      result ok "$name: refused with the expected diagnostics"
    else
      result fail "$name: exit $rc, diagnostics differ:"; cat "$work/$name.diff" "$work/$name.err"
    fi
  else
    if ((rc == 0)) && cmp -s "$conf" "$work/run-$name/site.conf" &&
       [[ $(stat -c %a "$work/run-$name/tls.key") == 640 && $(stat -c %a "$work/run-$name/site.conf") == 644 ]]; then
      result ok "$name: accepted and published (site.conf 0644, key 0640)"
    else
      result fail "$name: exit $rc"; cat "$work/$name.err"
    fi
  fi
done

# Seed entries other than plain, plainly named files are refused before anything is published.
mkdir -p "$work/seed-symlink/bulwark" && cp "$cases/valid-full.conf" "$work/seed-symlink/bulwark/site.conf"
ln -s /etc/shadow "$work/seed-symlink/bulwark/tls.key"
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
echo "site-load: $passed passed, $failed failed"
((failed == 0))

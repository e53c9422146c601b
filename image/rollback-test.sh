#!/bin/bash
# Rollback in practice: two images built from two different policies, booted with the SAME site
# settings, each relays mail stamped with its own policy digest. Rolling forward is booting the new
# image on every node; rolling back is booting the previous one. Nothing on a node changes.
#
# Usage: image/rollback-test.sh --previous IMAGE --previous-digest HEX64 --next IMAGE --next-digest HEX64
#          [--work-dir DIR] [boot-test options, e.g. --rcpt ADDR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prev="" prev_digest="" next="" next_digest="" work="" extra=()
while (($#)); do
  case $1 in
    --previous) prev=$2; shift 2 ;;
    --previous-digest) prev_digest=$2; shift 2 ;;
    --next) next=$2; shift 2 ;;
    --next-digest) next_digest=$2; shift 2 ;;
    --work-dir) work=$2; shift 2 ;;
    *) extra+=("$1" "$2"); shift 2 ;;
  esac
done
[[ -n $prev && -n $next && -n $prev_digest && -n $next_digest ]] ||
  { echo "rollback-test: --previous, --previous-digest, --next and --next-digest are required" >&2; exit 2; }
[[ $prev_digest != "$next_digest" ]] ||
  { echo "rollback-test: both images carry policy $prev_digest; build them from two different policies" >&2; exit 2; }
work=${work:-$(mktemp -d "${TMPDIR:-/tmp}/bulwark-rollback.XXXXXX")}
mkdir -p "$work"

status=0
echo "# roll forward: the next image answers with its policy ${next_digest:0:12}"
"$here/boot-test.sh" --image "$next" --policy-digest "$next_digest" --work-dir "$work/next" "${extra[@]}" || status=1
echo "# roll back: the previous image, same site settings, answers with its policy ${prev_digest:0:12}"
"$here/boot-test.sh" --image "$prev" --policy-digest "$prev_digest" --work-dir "$work/previous" "${extra[@]}" || status=1
if ((status == 0)); then
  echo "rollback-test: $(basename "$next") -> policy ${next_digest:0:12}, $(basename "$prev") -> policy ${prev_digest:0:12}"
fi
exit $status

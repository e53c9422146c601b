#!/bin/bash
# The image stage of CI, run after the Maven build has produced the runtime archive:
#   host packages -> base disk (cached) -> packer validate + build -> boot test under TCG
#   [-> a second image from the previous policy and the rollback test].
#
# Usage: image/ci.sh --runtime target/bulwark-<version>-<digest12>.tar.gz --policy-digest HEX64
#          [--version V] [--rcpt ADDR] [--mail-from ADDR] [--out-dir DIR]
#          [--previous-runtime ARCHIVE --previous-policy-digest HEX64]
# Outputs (default DIR: target/image): DIR/bulwark-<version>-<digest12>/{*.qcow2,*.sha256,
# packer-manifest.json}, boot-test logs, and DIR/figures.txt with the stage's timings.
# Env: BULWARK_IMAGE_CACHE (base-disk cache, default /var/cache/bulwark-image).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runtime="" digest="" version="" out_dir="$repo/target/image" prev_runtime="" prev_digest=""
test_args=()
while (($#)); do
  case $1 in
    --runtime) runtime=$2; shift 2 ;;
    --policy-digest) digest=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --previous-runtime) prev_runtime=$2; shift 2 ;;
    --previous-policy-digest) prev_digest=$2; shift 2 ;;
    --rcpt|--mail-from) test_args+=("$1" "$2"); shift 2 ;;
    *) echo "image/ci.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -n $runtime && -n $digest ]] || { echo "image/ci.sh: --runtime and --policy-digest are required" >&2; exit 2; }
[[ -z $prev_runtime || -n $prev_digest ]] || { echo "image/ci.sh: --previous-runtime needs --previous-policy-digest" >&2; exit 2; }
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
figures="$out_dir/figures.txt"
stage_start=$SECONDS
: > "$figures"
figure() { printf '%-40s %s\n' "$1" "$2" | tee -a "$figures"; }
timed() { local t=$SECONDS; "$@"; echo $((SECONDS - t)) > "$out_dir/.last-seconds"; }

echo "== image: host packages"
timed "$here/host-packages.sh"
figure "host packages (s)" "$(cat "$out_dir/.last-seconds")"

echo "== image: site-settings loader table test"
"$here/test/test-site-load.sh"

echo "== image: base disk"
base=$(timed "$here/build-base.sh")
figure "base disk (s, cached if ~0)" "$(cat "$out_dir/.last-seconds")"

build() { # runtime digest -> image path
  local args=(--runtime "$1" --policy-digest "$2" --base "$base" --out-dir "$out_dir")
  [[ -z $version || $1 != "$runtime" ]] || args+=(--version "$version")
  "$here/build-image.sh" "${args[@]}"
}
size() { printf '%s MiB (virtual %s)' "$(( $(stat -c %s "$1") / 1048576 ))" "$(qemu-img info --output=json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"] // 1048576, "MiB")')"; }

echo "== image: packer validate + build"
image=$(timed build "$runtime" "$digest")
figure "packer build (s)" "$(cat "$out_dir/.last-seconds")"
figure "image" "$(basename "$image")"
figure "image size (qcow2, compressed)" "$(size "$image")"

echo "== image: boot test"
name=$(basename "$image" .qcow2)
timed "$here/boot-test.sh" --image "$image" --policy-digest "$digest" --work-dir "$out_dir/boot-test-$name" "${test_args[@]}"
figure "boot test (s)" "$(cat "$out_dir/.last-seconds")"
figure "boot to first 220 under TCG (s)" "$(cat "$out_dir/boot-test-$name/boot-to-banner.seconds")"
figure "systemd-analyze security exposure" "$(cat "$out_dir/boot-test-$name/exposure")"

if [[ -n $prev_runtime ]]; then
  echo "== image: previous policy's image and the rollback test"
  prev_image=$(timed build "$prev_runtime" "$prev_digest")
  figure "packer build, previous policy (s)" "$(cat "$out_dir/.last-seconds")"
  timed "$here/rollback-test.sh" --previous "$prev_image" --previous-digest "$prev_digest" \
    --next "$image" --next-digest "$digest" --work-dir "$out_dir/rollback-test" "${test_args[@]}"
  figure "rollback test, two boots (s)" "$(cat "$out_dir/.last-seconds")"
fi
rm -f "$out_dir/.last-seconds"
figure "image stage total (min)" "$(awk -v s=$((SECONDS - stage_start)) 'BEGIN{printf "%.1f", s / 60}')"

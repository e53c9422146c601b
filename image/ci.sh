#!/bin/bash
# The image stage of CI, run after the Maven build has produced the runtime archive:
#   host packages -> site-loader table test -> base disk (cached) -> packer validate + build
#   -> release record -> boot test under TCG [or: a second image from the previous policy and the
#   rollback test, which boot-tests both] -> a boot with a seed that tries to set a policy, which must
#   be refused.
#
# Usage: image/ci.sh --runtime target/bulwark-<version>-<digest12>.tar.gz [--policy-digest HEX64]
#          [--version V] [--rcpt ADDR] [--mail-from ADDR] [--out-dir DIR]
#          [--previous-runtime ARCHIVE [--previous-policy-digest HEX64]]
# A digest defaults to "policyDigest" in the archive's bulwark/MANIFEST.json.
# Outputs (default DIR: target/image): DIR/bulwark-<version>-<digest12>/{*.qcow2,*.sha256,
# packer-manifest.json,release.json}, boot-test logs, and DIR/figures.txt with the stage's timings.
# Env: BULWARK_IMAGE_CACHE (base-disk cache, default /var/cache/bulwark-image), BULWARK_SIGNING_KEY
# (Ed25519 private key that signs release.json; the one that signed the runtime).
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
# The runtime names its policy in bulwark/MANIFEST.json; --policy-digest is only needed without one.
manifest_digest() {
  tar -xzOf "$1" bulwark/MANIFEST.json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("policyDigest") or "")' 2>/dev/null || true
}
[[ -f $runtime ]] || { echo "image/ci.sh: --runtime: no such archive: '$runtime'" >&2; exit 2; }
digest=${digest:-$(manifest_digest "$runtime")}
[[ -n $digest ]] || { echo "image/ci.sh: $runtime has no bulwark/MANIFEST.json policyDigest; pass --policy-digest" >&2; exit 2; }
if [[ -n $prev_runtime ]]; then
  prev_digest=${prev_digest:-$(manifest_digest "$prev_runtime")}
  [[ -n $prev_digest ]] || { echo "image/ci.sh: $prev_runtime names no policy digest; pass --previous-policy-digest" >&2; exit 2; }
fi
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
figures="$out_dir/figures.txt"
stage_start=$SECONDS
: > "$figures"
figure() { printf '%-40s %s\n' "$1" "$2" | tee -a "$figures"; }
# timed COMMAND...: runs it, records its seconds, and passes its exit status on (also inside $(...),
# where set -e does not reach).
timed() {
  local t=$SECONDS rc=0
  "$@" || rc=$?
  echo $((SECONDS - t)) > "$out_dir/.last-seconds"
  return $rc
}

echo "== image: host packages"
timed "$here/host-packages.sh"
figure "host packages (s)" "$(cat "$out_dir/.last-seconds")"

echo "== image: site-settings loader table test"
"$here/test/test-site-load.sh" --runtime "$runtime"

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

# The release record beside the image: commit, policy digest and the SHA-256 of runtime archive (its
# manifest, signature and SBOM), image and Packer manifest, signed with the runtime's key
# (BULWARK_SIGNING_KEY, as for mvn package) when one is given. The runtime's own bulwark writes it.
echo "== image: release record"
release_tool=$(mktemp -d)
tar -xzf "$runtime" -C "$release_tool"
# The checkout's commit; where git cannot tell (no checkout, another owner), the runtime's own.
commit=$(git -C "$repo" rev-parse --verify HEAD 2>/dev/null ||
  tar -xzOf "$runtime" bulwark/MANIFEST.json | python3 -c 'import json, sys; print(json.load(sys.stdin)["commit"])')
release_args=(--commit "$commit" --runtime "$runtime" --image "$image"
  --packer-manifest "$(dirname "$image")/packer-manifest.json" --out "$(dirname "$image")/release.json")
[[ -z ${BULWARK_SIGNING_KEY:-} ]] || release_args+=(--key "$BULWARK_SIGNING_KEY")
"$release_tool/bulwark/bin/bulwark" release record "${release_args[@]}"
"$release_tool/bulwark/bin/bulwark" verify-release "$(dirname "$image")/release.json" \
  "$runtime" "$image" "$(dirname "$image")/packer-manifest.json"
rm -rf "$release_tool"
figure "release record" "$(dirname "$image")/release.json"

if [[ -z $prev_runtime ]]; then
  echo "== image: boot test"
  boot_dir="$out_dir/boot-test-$(basename "$image" .qcow2)"
  timed "$here/boot-test.sh" --image "$image" --policy-digest "$digest" --work-dir "$boot_dir" "${test_args[@]}"
  figure "boot test (s)" "$(cat "$out_dir/.last-seconds")"
else
  # The rollback test boots both images; the new one's boot is this image's boot test.
  echo "== image: previous policy's image, then the boot and rollback test of both"
  prev_image=$(timed build "$prev_runtime" "$prev_digest")
  figure "packer build, previous policy (s)" "$(cat "$out_dir/.last-seconds")"
  boot_dir="$out_dir/rollback-test/next"
  timed "$here/rollback-test.sh" --previous "$prev_image" --previous-digest "$prev_digest" \
    --next "$image" --next-digest "$digest" --work-dir "$out_dir/rollback-test" "${test_args[@]}"
  figure "boot + rollback test, two boots (s)" "$(cat "$out_dir/.last-seconds")"
fi
echo "== image: a seed that tries to set a policy is refused"
timed "$here/boot-test.sh" --image "$image" --policy-digest "$digest" --refuse-policy-key \
  --work-dir "$out_dir/boot-test-refusal" "${test_args[@]}"
figure "refused-seed boot test (s)" "$(cat "$out_dir/.last-seconds")"
figure "boot to first 220 under TCG (s)" "$(cat "$boot_dir/boot-to-banner.seconds")"
figure "systemd-analyze security exposure" "$(cat "$boot_dir/exposure")"
rm -f "$out_dir/.last-seconds"
figure "image stage total (min)" "$(awk -v s=$((SECONDS - stage_start)) 'BEGIN{printf "%.1f", s / 60}')"

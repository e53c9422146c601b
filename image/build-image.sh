#!/bin/bash
# Builds one Bulwark image with Packer: the base disk + a runtime archive -> a sealed qcow2 named
# bulwark-<version>-<digest12>.qcow2, with <image>.sha256 and packer-manifest.json beside it.
#
# Usage: image/build-image.sh --runtime ARCHIVE --base BASE.qcow2 [--policy-digest HEX64]
#                             [--version V] [--out-dir DIR] [--metrics-port N]
#   --policy-digest defaults to "policyDigest" in the archive's bulwark/MANIFEST.json.
#   --version defaults to the one in the archive name (bulwark-<version>-<digest12>.tar.gz).
#   The image lands in DIR/bulwark-<version>-<digest12>/ (default DIR: target/image).
# Prints the image path on stdout. A fresh SSH key is made for every build and deleted after it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runtime="" digest="" base="" version="" out_dir="$repo/target/image" metrics_port=9025
while (($#)); do
  case $1 in
    --runtime) runtime=$2; shift 2 ;;
    --policy-digest) digest=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --metrics-port) metrics_port=$2; shift 2 ;;
    *) echo "build-image: unknown argument: $1" >&2; exit 2 ;;
  esac
done
log() { echo "build-image: $*" >&2; }
die() { log "$*"; exit 2; }

[[ -f $runtime ]] || die "--runtime: no such archive: '$runtime'"
[[ -f $base && -s $base.sha256 ]] || die "--base: no base disk (and $base.sha256) at '$base'"
# The runtime describes itself in bulwark/MANIFEST.json ("policyDigest", "version"); an explicit
# --policy-digest must agree with it.
manifest_field() {
  tar -xzOf "$runtime" bulwark/MANIFEST.json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]) or "")' "$1" 2>/dev/null || true
}
manifest_digest=$(manifest_field policyDigest)
if [[ -n $manifest_digest && -n $digest && $manifest_digest != "$digest" ]]; then
  die "--policy-digest $digest differs from the runtime's MANIFEST.json policyDigest $manifest_digest"
fi
digest=${digest:-$manifest_digest}
[[ $digest =~ ^[0-9a-f]{64}$ ]] || die "--policy-digest: '$digest' is not 64 lower-case hex digits (and the runtime has no MANIFEST.json naming it)"
name=$(basename "$runtime")
if [[ $name =~ ^bulwark-(.+)-([0-9a-f]{12})\.tar\.gz$ ]]; then
  [[ ${BASH_REMATCH[2]} == "${digest:0:12}" ]] ||
    die "the runtime archive $name is for policy ${BASH_REMATCH[2]}, not ${digest:0:12}"
  version=${version:-${BASH_REMATCH[1]}}
fi
[[ -n $version ]] || die "--version is required when the archive is not named bulwark-<version>-<digest12>.tar.gz"
[[ $version =~ ^[0-9A-Za-z.+_-]+$ ]] || die "--version: '$version' may only use letters, digits, '.', '+', '_' and '-'"

image_name="bulwark-$version-${digest:0:12}"
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
output="$out_dir/$image_name"
work=$(mktemp -d "$out_dir/.work-$image_name.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Packer refuses an existing output directory; this one is ours (named after this very image).
rm -rf "$output"

ssh-keygen -q -t ed25519 -N '' -C "bulwark-build-$image_name" -f "$work/build-key"
export PACKER_CACHE_DIR="$work/packer_cache" CHECKPOINT_DISABLE=1 PACKER_NO_COLOR=1
# Packer's debug log (with timestamps) for when a CI build needs explaining.
export PACKER_LOG=1 PACKER_LOG_PATH="$out_dir/$image_name.packer-debug.log"
vars=(
  -var "runtime_archive=$(cd "$(dirname "$runtime")" && pwd)/$name"
  -var "version=$version"
  -var "policy_digest=$digest"
  -var "base_image=$base"
  -var "base_image_sha256=$(cat "$base.sha256")"
  -var "build_key=$work/build-key"
  -var "build_key_pub=$work/build-key.pub"
  -var "output_directory=$output"
  -var "serial_log=$out_dir/$image_name.packer-serial.log"
  -var "metrics_port=$metrics_port"
)
cd "$repo/packer"
timeout 120 packer validate "${vars[@]}" bulwark.pkr.hcl >&2
log "packer build $image_name (log: $out_dir/$image_name.packer.log)"
start=$SECONDS
if ! timeout 1500 packer build -color=false "${vars[@]}" bulwark.pkr.hcl > "$out_dir/$image_name.packer.log" 2>&1; then
  tail -40 "$out_dir/$image_name.packer.log" >&2
  die "packer build failed (full log: $out_dir/$image_name.packer.log)"
fi
image="$output/$image_name.qcow2"
(cd "$output" && sha256sum --quiet -c "$image_name.qcow2.sha256") || die "checksum of $image does not verify"
[[ -s $output/packer-manifest.json ]] || die "no packer-manifest.json beside $image"
log "built $image ($(du -h "$image" | cut -f1)) in $((SECONDS - start)) s"
echo "$image"

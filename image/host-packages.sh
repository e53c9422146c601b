#!/bin/bash
# Installs the host tools the image stage needs, from Debian's packages only.
# Idempotent and quiet when everything is present; CI runs it as root on a fresh bookworm machine.
set -euo pipefail

packages=(
  mmdebstrap          # the guest root from Debian's packages, no VM or loop device needed
  fdisk               # sfdisk: partition table in a plain file
  e2fsprogs           # mke2fs -d: ext4 filled from a directory, written at an offset
  grub-pc-bin         # boot.img and the i386-pc modules for the BIOS boot loader
  grub-common         # grub-mkimage
  qemu-system-x86     # Packer's qemu builder and the boot test (TCG)
  qemu-utils          # qemu-img
  packer              # Debian's packer 1.6.6: the qemu builder is built in
  xorriso             # the site-settings seed ISO for the boot test
  openssh-client      # ssh-keygen for the per-build provisioning key
  python3             # the SMTP sink and client of the boot test
  openssl             # certificates for the site-loader table test
  coreutils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "image: installing host packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

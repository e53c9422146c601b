#!/bin/bash
# Builds the Bulwark base disk: a minimal, bootable Debian bookworm qcow2 made only from Debian's
# packages, offline from the Debian mirror the machine's apt already uses. Needs no VM, no loop
# device and no mount: mmdebstrap fills a directory, mke2fs -d writes it into a partition of a plain
# file, and GRUB (BIOS) is installed by writing boot.img and a grub-mkimage core image directly.
#
# The base is cached by the hash of everything that goes into it (this script, image/base/, the
# Debian sources and the versions of the host tools that shape the result), so a second run with the
# same inputs prints the cached path at once.
#
# Usage: image/build-base.sh [--cache-dir DIR] [--sources FILE]
#   Prints the path of the base qcow2 on stdout (its sha256 is beside it in <path>.sha256).
#   --cache-dir  where bases are kept (default $BULWARK_IMAGE_CACHE or /var/cache/bulwark-image)
#   --sources    apt sources (deb822 or one-line) for bookworm (default: the host's Debian sources)
# Runs as root (mmdebstrap root mode). Host tools: image/host-packages.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_dir=${BULWARK_IMAGE_CACHE:-/var/cache/bulwark-image}
sources=""
while (($#)); do
  case $1 in
    --cache-dir) cache_dir=$2; shift 2 ;;
    --sources) sources=$2; shift 2 ;;
    *) echo "build-base: unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ -z $sources ]]; then
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [[ -s $f ]] && { sources=$f; break; }
  done
fi
[[ -s $sources ]] || { echo "build-base: no Debian apt sources found; pass --sources FILE" >&2; exit 2; }

log() { echo "build-base: $*" >&2; }

# What goes into the guest. openssh-server is only for Packer's provisioning: every image build
# purges it in its last step.
packages=(
  systemd systemd-sysv udev dbus libnss-systemd systemd-resolved
  linux-image-cloud-amd64 initramfs-tools kmod
  nftables iproute2 openssh-server
)
disk_size_mib=2048
part_start_sector=2048 # 1 MiB: room for the GRUB core image between the MBR and the partition

# --- cache key ------------------------------------------------------------------------------------
key_input() {
  echo "packages=${packages[*]} disk=${disk_size_mib} start=${part_start_sector}"
  sha256sum "$here/build-base.sh"
  (cd "$here/base" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
  (cd "$here/base" && find . -printf '%p %m\n' | sort)
  sha256sum < "$sources"
  dpkg-query -W -f='${Package} ${Version}\n' mmdebstrap grub-pc-bin e2fsprogs qemu-utils
}
key=$(key_input | sha256sum | cut -c1-16)
base="$cache_dir/bulwark-base-$key.qcow2"
if [[ -s $base && -s $base.sha256 ]]; then
  log "cached: $base"
  echo "$base"
  exit 0
fi

mkdir -p "$cache_dir"
work=$(mktemp -d "$cache_dir/.build-$key.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
start=$SECONDS

# A stable file-system UUID per cache key, so the same inputs give the same boot configuration.
uuid=$(echo "$key-root" | sha256sum | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-4\3-8\4-\5/')

# --- root file system -----------------------------------------------------------------------------
log "mmdebstrap bookworm (${#packages[@]} top-level packages) from $sources"
include=$(IFS=,; echo "${packages[*]}")
mmdebstrap --mode=root --variant=minbase --include="$include" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1" "$1/usr/share/man/man8"' \
  --customize-hook="cp -a '$here/base/rootfs/.' \"\$1/\"" \
  --customize-hook='chown -R 0:0 "$1/etc/systemd" "$1/etc/ssh/sshd_config.d" "$1/usr/local/sbin"' \
  --customize-hook='chmod -R go-w "$1/etc/systemd" "$1/etc/ssh/sshd_config.d" "$1/usr/local/sbin"' \
  --customize-hook='chroot "$1" systemctl enable systemd-networkd.service systemd-resolved.service bulwark-build-key.service ssh.service' \
  --customize-hook='ln -sf /run/systemd/resolve/stub-resolv.conf "$1/etc/resolv.conf"' \
  --customize-hook='rm -f "$1/etc/machine-id" "$1/var/lib/dbus/machine-id"; : > "$1/etc/machine-id"' \
  --customize-hook='rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"*.bin' \
  bookworm "$root" "$sources" >&2

# The kernel package leaves /vmlinuz and /initrd.img symlinks; the boot entry uses them.
for link in vmlinuz initrd.img; do
  [[ -e $root/$link ]] || { log "missing /$link in the root"; exit 1; }
done

# Root file system, writable in the base (Packer provisions it). An image build seals it read-only.
printf 'UUID=%s / ext4 defaults,errors=remount-ro 0 1\n' "$uuid" > "$root/etc/fstab"

# --- boot loader ----------------------------------------------------------------------------------
mkdir -p "$root/boot/grub/i386-pc"
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst "$root/boot/grub/i386-pc/"
cat > "$root/boot/grub/grub.cfg" <<EOF
# Written by image/build-base.sh. Serial console first: the boot test and cloud consoles read it.
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
set default=0
menuentry 'Bulwark' {
  search --no-floppy --fs-uuid --set=root $uuid
  linux /vmlinuz root=UUID=$uuid ro console=tty0 console=ttyS0,115200n8
  initrd /initrd.img
}
EOF
grub_modules=(biosdisk part_msdos ext2 search search_fs_uuid normal linux configfile echo test
  serial terminal gzio)
grub-mkimage -O i386-pc -o "$work/core.img" -p '(hd0,msdos1)/boot/grub' "${grub_modules[@]}"
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
((core_sectors < part_start_sector - 1)) || { log "GRUB core image too large: $core_sectors sectors"; exit 1; }

# --- disk -----------------------------------------------------------------------------------------
raw="$work/disk.raw"
truncate -s "${disk_size_mib}M" "$raw"
echo "label: dos
label-id: 0x${key:0:8}
start=$part_start_sector, type=83, bootable" | sfdisk --quiet "$raw"
part_bytes=$(( disk_size_mib * 1024 * 1024 - part_start_sector * 512 ))
log "ext4 from the root directory ($(du -sh "$root" | cut -f1))"
mke2fs -q -t ext4 -L bulwark-root -U "$uuid" -E "offset=$((part_start_sector * 512))" \
  -d "$root" "$raw" "$((part_bytes / 1024))k"
# MBR boot code (first 440 bytes only: the partition table stays) and the core image at LBA 1.
dd if=/usr/lib/grub/i386-pc/boot.img of="$raw" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$raw" bs=512 seek=1 conv=notrunc status=none

qemu-img convert -q -c -f raw -O qcow2 "$raw" "$work/base.qcow2"
(cd "$work" && sha256sum base.qcow2 | cut -d' ' -f1) > "$work/base.qcow2.sha256"
mv "$work/base.qcow2.sha256" "$base.sha256.tmp"
mv "$work/base.qcow2" "$base"
mv "$base.sha256.tmp" "$base.sha256"
log "built $base ($(du -h "$base" | cut -f1)) in $((SECONDS - start)) s"
# Keep the three newest bases (other branches may need theirs) and no leftovers of killed builds.
ls -1t "$cache_dir"/bulwark-base-*.qcow2 | tail -n +4 | while read -r old; do rm -f "$old" "$old.sha256"; done
find "$cache_dir" -maxdepth 1 -name '.build-*' -mmin +1440 -exec rm -rf {} +
echo "$base"

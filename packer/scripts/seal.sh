#!/bin/bash
# Packer provisioning, LAST step (runs in the guest as root): removes every way in that provisioning
# needed, makes the root file system read-only and clears per-machine state. After this the image
# has no SSH server, no key and no password; Packer's shutdown command still runs on the open
# connection.
set -euo pipefail
step() { echo "seal: [${SECONDS}s] $*"; }

# --- no login left behind ---------------------------------------------------------------------------
step "removing the provisioning key and the SSH server"
systemctl disable bulwark-build-key.service ssh.service >/dev/null 2>&1 || true
rm -f /etc/systemd/system/bulwark-build-key.service /usr/local/sbin/bulwark-build-key
DEBIAN_FRONTEND=noninteractive apt-get purge --autoremove -y -q openssh-server openssh-sftp-server >/dev/null
rm -rf /etc/ssh/sshd_config.d /etc/ssh/ssh_host_* /root/.ssh /run/bulwark-build
passwd -l root >/dev/null
# No login prompt either: the consoles only show the boot and the posture report.
systemctl mask getty@.service serial-getty@.service autovt@.service >/dev/null
[[ ! -e /usr/sbin/sshd ]] || { echo "seal: sshd is still installed" >&2; exit 1; }

# --- read-only root, scratch in memory -----------------------------------------------------------
step "read-only root"
root_uuid=$(findmnt -no UUID /)
cat > /etc/fstab <<FSTAB
# Bulwark: the root file system is read-only; scratch space and logs live in memory.
UUID=$root_uuid / ext4 ro,errors=remount-ro 0 1
tmpfs /tmp tmpfs rw,nosuid,nodev,mode=1777,size=256m 0 0
tmpfs /var/tmp tmpfs rw,nosuid,nodev,mode=1777,size=64m 0 0
tmpfs /var/log tmpfs rw,nosuid,nodev,noexec,mode=0755,size=128m 0 0
FSTAB
grep -q ' ro ' /proc/cmdline || grep -q 'ro console' /boot/grub/grub.cfg || {
  echo "seal: the kernel command line does not mount the root read-only" >&2; exit 1; }

# --- per-machine state: every node makes its own ---------------------------------------------------
step "clearing per-machine state"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old
rm -f /var/lib/systemd/random-seed /var/lib/dbus/machine-id
: > /etc/machine-id
rm -rf /var/log/* /var/tmp/* /tmp/* 2>/dev/null || true

# Unused blocks back to the disk, so the compressed image carries only what is in use.
step "trimming"
fstrim -v / || true
sync
echo "seal: image sealed (no sshd, no key, read-only root, empty machine-id)"

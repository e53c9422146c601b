#!/bin/bash
# Packer provisioning, step 1 (runs in the guest as root): installs the runtime read-only under
# /opt/bulwark, the units, the firewall and the read-only-root configuration.
# Env: BULWARK_VERSION, BULWARK_POLICY_DIGEST, BULWARK_METRICS_PORT; uploads: /tmp/bulwark-runtime.tar.gz and /tmp/guest.
set -euo pipefail
: "${BULWARK_VERSION:?}" "${BULWARK_POLICY_DIGEST:?}" "${BULWARK_METRICS_PORT:?}"
archive=/tmp/bulwark-runtime.tar.gz
guest=/tmp/guest

# --- the runtime: one top-level directory bulwark/ with the launcher bin/bulwark ---------------------
top=$(tar -tzf "$archive" | cut -d/ -f1 | sort -u)
[[ $top == bulwark ]] || { echo "install: the runtime archive must hold exactly one directory 'bulwark/', found: $top" >&2; exit 1; }
rm -rf /opt/bulwark
tar -xzf "$archive" -C /opt --no-same-owner --no-same-permissions
[[ -x /opt/bulwark/bin/bulwark ]] || { echo "install: the runtime has no executable bin/bulwark" >&2; exit 1; }
chown -R 0:0 /opt/bulwark
chmod -R a-w,go-w /opt/bulwark
rm -f "$archive"

# --- man pages and bash completion, generated from the command line at build time (ADR 0017) -------
[[ -f /opt/bulwark/man/man1/bulwark.1 && -f /opt/bulwark/completion/bulwark.bash ]] \
  || { echo "install: the runtime has no man pages or completion (man/man1, completion/)" >&2; exit 1; }
install -d -m 0755 /usr/local/share/man/man1 /usr/local/share/bash-completion/completions
install -m 0644 /opt/bulwark/man/man1/*.1 /usr/local/share/man/man1/
install -m 0644 /opt/bulwark/completion/bulwark.bash /usr/local/share/bash-completion/completions/bulwark
# On the PATH, so that `man bulwark-check` and completion meet the name operators type.
ln -sfn /opt/bulwark/bin/bulwark /usr/local/bin/bulwark
if command -v mandb >/dev/null; then mandb -q || true; fi

install -d -m 0755 /etc/bulwark
cat > /etc/bulwark/release <<REL
VERSION=$BULWARK_VERSION
POLICY_DIGEST=$BULWARK_POLICY_DIGEST
METRICS_PORT=$BULWARK_METRICS_PORT
RUNTIME_SHA256=$(cd /opt && find bulwark -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
REL
chmod 0444 /etc/bulwark/release

# --- units and their helpers ---------------------------------------------------------------------
install -d -m 0755 /usr/local/lib/bulwark
install -m 0755 "$guest/lib/site-load" "$guest/lib/posture" "$guest/lib/firewall" /usr/local/lib/bulwark/
install -m 0644 "$guest"/systemd/*.service /etc/systemd/system/
getent group bulwark-site >/dev/null || groupadd --system bulwark-site
systemd-analyze verify /etc/systemd/system/bulwark.service /etc/systemd/system/bulwark-site.service \
  /etc/systemd/system/bulwark-posture.service /etc/systemd/system/bulwark-firewall.service
systemctl enable nftables.service bulwark-site.service bulwark-firewall.service bulwark.service \
  bulwark-posture.service

# --- firewall ---------------------------------------------------------------------------------------
sed "s/@METRICS_PORT@/$BULWARK_METRICS_PORT/g" "$guest/nftables.conf" > /etc/nftables.conf
chmod 0644 /etc/nftables.conf
nft -c -f /etc/nftables.conf

# --- read-only root: volatile journal; the tmpfs mounts are written by seal.sh --------------------
install -d -m 0755 /etc/systemd/journald.conf.d
install -m 0644 "$guest/journald-volatile.conf" /etc/systemd/journald.conf.d/50-bulwark-volatile.conf
# Timers that would write to the root file system have nothing to do on an immutable node.
systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  e2scrub_reap.service >/dev/null
rm -rf "$guest"
echo "install: runtime $BULWARK_VERSION policy $BULWARK_POLICY_DIGEST installed read-only in /opt/bulwark"

#!/usr/bin/env bash
# Installs (or upgrades) the Antrean hub on this PC, from this checkout:
#   sudo bash deploy/install-hub.sh --config /path/to/hall.toml
# Creates user antrean, copies the code to /opt/antrean (+ .venv via scripts/bootstrap.sh),
# puts the hall config at /etc/antrean/hall.toml, installs and starts antrean-hub.service, and
# enables antrean-backup.service when /srv/antrean-backup is a mounted second disk.
# Safe to run again: the ledger in /var/lib/antrean and /etc/antrean are kept.
set -euo pipefail
# shellcheck source=deploy/install-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-common.sh"

usage() {
  cat <<EOF
usage: sudo bash deploy/install-hub.sh [--config HALL.toml] [--no-start]
  --config FILE   the hall config to install as /etc/antrean/hall.toml (required the first time;
                  an existing, different one is kept as hall.toml.old-DATE)
  --no-start      install and enable, but do not start or restart the hub now
EOF
}

config=""
start=1
while (($#)); do
  case "$1" in
    --config) config="${2:?--config needs a file}"; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

need_root "$@"
# The hub needs no extra groups.
# shellcheck disable=SC2119
ensure_user
install_code
ensure_etc

if [[ -n "$config" ]]; then
  [[ -f "$config" ]] || die "$config does not exist"
  if [[ -x "$PREFIX/.venv/bin/antrean" ]]; then
    "$PREFIX/.venv/bin/antrean" config check "$config" || die "fix $config first"
  fi
  if [[ -f "$ETC/hall.toml" ]] && ! cmp -s "$config" "$ETC/hall.toml"; then
    old="$ETC/hall.toml.old-$(date +%Y%m%d-%H%M%S)"
    say "keeping the previous hall config as $old"
    cp -p "$ETC/hall.toml" "$old"
  fi
  install_private_file "$config" "$ETC/hall.toml"
elif [[ ! -f "$ETC/hall.toml" ]]; then
  die "no hall config yet: run again with --config /path/to/hall.toml"
fi

# This version's unit serves TLS only (--tls). A hall upgraded from plain ws:// must give every
# station the new address and fingerprint, or it stays offline: say so before it happens.
if [[ -f "$ROOT/var/lib/antrean/hub-auth.db" && ! -f "$ROOT/var/lib/antrean/hub-tls.crt" ]]; then
  say "NOTE: the hub now encrypts its LAN link (wss://). Each station needs, in station.env:"
  say "  ANTREAN_HUB=wss://THIS-PC:8470 and ANTREAN_HUB_FINGERPRINT=<fingerprint>; print it with:"
  say "  sudo -u antrean $PREFIX/.venv/bin/antrean hub --ledger /var/lib/antrean/ledger.db fingerprint"
  say "  (docs/install-id.md, 'Enkripsi jaringan', also says how to keep plain ws:// for now)"
fi
install_unit "$ANTREAN_SRC/deploy/systemd/antrean-hub.service" "$UNIT_DIR"
install_unit "$ANTREAN_SRC/deploy/systemd/antrean-backup.service" "$UNIT_DIR"
mkdir -p "$ROOT/srv/antrean-backup"
systemctl_maybe daemon-reload
systemctl_maybe enable antrean-hub.service
if ((start)); then
  systemctl_maybe restart antrean-hub.service
fi

if real_root && mountpoint -q /srv/antrean-backup; then
  chown antrean:antrean /srv/antrean-backup
  chmod 0700 /srv/antrean-backup
  systemctl_maybe enable --now antrean-backup.service
else
  say "NOT enabling backups: /srv/antrean-backup is not a mounted second disk."
  say "  Mount one there (docs/install-id.md, 'Cadangan'), then run this script again."
fi

cat <<EOF

Hub installed. Next steps (docs/install-id.md):
  1. Check it:        sudo -u antrean $PREFIX/.venv/bin/antrean doctor --role hub \\
                        --config /etc/antrean/hall.toml
  2. Enroll stations: sudo -u antrean $PREFIX/.venv/bin/antrean hub \\
                        --ledger /var/lib/antrean/ledger.db enroll --role kiosk --name kiosk-1
                      It prints ANTREAN_TOKEN and ANTREAN_HUB_FINGERPRINT for the station's
                      station.env (with ANTREAN_HUB=wss://THIS-PC:8470).
  3. Add officers:    sudo -u antrean $PREFIX/.venv/bin/antrean hub \\
                        --ledger /var/lib/antrean/ledger.db officer add NIP --name "Nama"
  4. Open port 8470/tcp (and 5353/udp for discovery) in the firewall, if one is on.
  5. Keep a copy of /var/lib/antrean/hub-tls.crt and hub-tls.key off this PC (the backup
     service copies them to /srv/antrean-backup): a new hub PC with them keeps the
     fingerprint every station has pinned.
EOF

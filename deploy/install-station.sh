#!/usr/bin/env bash
# Installs (or upgrades) an Antrean station on this PC, from this checkout:
#   sudo bash deploy/install-station.sh kiosk            (locked-down session on tty1)
#   sudo bash deploy/install-station.sh display
#   sudo bash deploy/install-station.sh counter --desktop   (a user service in the desktop)
# Creates user antrean, copies the code to /opt/antrean (+ .venv), installs the printer udev
# rules, puts a station.env template in /etc/antrean (kept if it exists) and the unit.
# The app starts once /etc/antrean/station.env holds the hub address and the token.
set -euo pipefail
# shellcheck source=deploy/install-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-common.sh"

usage() {
  cat <<EOF
usage: sudo bash deploy/install-station.sh kiosk|counter|display [--desktop [--user NAME]...]
  --desktop   run the app as a user service in an existing desktop session instead of the
              locked-down kiosk-mode session (for counter PCs that also run other programs)
  --user NAME a desktop user who signs in at this PC; joins group antrean so the app can read
              /etc/antrean/station.env (repeat for each user)
EOF
}

role=""
desktop=0
desktop_users=()
while (($#)); do
  case "$1" in
    kiosk|counter|display) role="$1"; shift ;;
    --desktop) desktop=1; shift ;;
    --user) desktop_users+=("${2:?--user needs a user name}"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ -n "$role" ]] || { usage >&2; exit 2; }

need_root "$@"
packages=()
# cage (Debian 12: 0.1.4) refuses to start without the Xwayland binary; Qt's wayland platform
# plugin (in the PySide6 wheel) needs libwayland-cursor0 and libwayland-egl1, which cage does not
# pull in. Checked by running cage's headless backend with a PySide6 window.
((desktop)) || packages+=(cage xwayland libwayland-client0 libwayland-cursor0 libwayland-egl1)
# The board announces through PipeWire in the antrean user's session.
[[ "$role" == display ]] && packages+=(pipewire-pulse wireplumber)
apt_install "${packages[@]}"
# lp: the ticket printer's device (with the udev rules below).
ensure_user lp
install_code
ensure_etc

# Printer permissions (kiosk): rules maintained in deploy/udev/.
shopt -s nullglob
rules=("$ANTREAN_SRC"/deploy/udev/*.rules)
shopt -u nullglob
if ((${#rules[@]})); then
  mkdir -p "$ROOT/etc/udev/rules.d"
  install -m 0644 "${rules[@]}" "$ROOT/etc/udev/rules.d/"
  if real_root && command -v udevadm >/dev/null; then
    udevadm control --reload-rules
    udevadm trigger --subsystem-match=usb
  fi
fi

env_file="$ETC/station.env"
if [[ ! -f "$env_file" ]]; then
  say "writing the template $env_file: put the hub address and token in it"
  install_private_file "$ANTREAN_SRC/deploy/stations/$role.env" "$env_file"
fi

if ((desktop)); then
  unit="antrean-$role.service"
  install_unit "$ANTREAN_SRC/deploy/systemd/user/$unit" "$USER_UNIT_DIR"
  systemctl_maybe --global enable "$unit"
  # The user service reads station.env as the desktop user: that user needs group antrean.
  for name in "${desktop_users[@]}"; do
    if real_root; then
      usermod -a -G antrean "$name"
    fi
    say "desktop user $name may now read $env_file (after signing in again)"
  done
  ((${#desktop_users[@]})) ||
    say "add each desktop user of this PC to group antrean: usermod -a -G antrean NAME"
  how="log out and in again (or: systemctl --user restart $unit as the desktop user)"
else
  unit="antrean-cage@$role.service"
  install_unit "$ANTREAN_SRC/deploy/systemd/antrean-cage@.service" "$UNIT_DIR"
  systemctl_maybe daemon-reload
  systemctl_maybe set-default graphical.target
  # A visitor's Ctrl+Alt+Del must not reboot the kiosk.
  systemctl_maybe mask ctrl-alt-del.target
  systemctl_maybe enable "$unit"
  how="systemctl restart $unit (or reboot)"
  if have_systemd && systemctl is-enabled -q display-manager.service 2>/dev/null; then
    say "WARNING: a desktop login manager is enabled; the kiosk-mode session is meant for a PC"
    say "  without one: systemctl disable display-manager.service"
  fi
fi

if grep -q 'paste-the-' "$env_file"; then
  say "NOT started yet: edit $env_file (ANTREAN_HUB, ANTREAN_HUB_FINGERPRINT, ANTREAN_TOKEN,"
  say "  ANTREAN_ARGS), then:"
  say "  $how"
elif ((!desktop)); then
  systemctl_maybe restart "$unit"
fi

cat <<EOF

Station ($role) installed. Check it with:
  sudo -u antrean $PREFIX/.venv/bin/antrean doctor --role $role --station-env $env_file
EOF

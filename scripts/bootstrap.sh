#!/usr/bin/env bash
# Installs what Antrean needs on a Debian (12+) PC, idempotently: Debian packages, a virtual
# environment in .venv and the project itself. Sourced by scripts/hall.sh and scripts/test.sh.
set -euo pipefail

ANTREAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ANTREAN_VENV:-$ANTREAN_ROOT/.venv}"

# Runtime libraries: Qt (EGL/GL, xkbcommon, fontconfig, D-Bus), Qt's X11 platform plugin
# (every library `ldd` lists for PySide6's plugins/platforms/libqxcb.so: a desktop install does
# not bring libxcb-icccm4, -keysyms1, -cursor0 and friends, and without them Qt aborts), its
# Wayland plugin, Qt Multimedia (PulseAudio), USB printers (libusb), the Indonesian voice
# (espeak-ng), a font with good coverage, python3-venv for the virtual environment, and
# systemd (the deploy kit's units; the tests verify them with its systemd-analyze), and Pango
# for WeasyPrint, which makes the reports' PDFs (antrean report, on the hub PC).
DEBIAN_PACKAGES=(
  python3 python3-venv python3-pip
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
  libglib2.0-0
  libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
  libxcb-util1 libxcb-xfixes0 libxcb-xkb1
  libwayland-client0 libwayland-cursor0 libwayland-egl1
  libpulse0 libusb-1.0-0 espeak-ng fonts-dejavu-core
  systemd libpango-1.0-0 libpangoft2-1.0-0
)
# Only where the tests run (scripts/test.sh sets ANTREAN_BOOTSTRAP=tests), never on a hall's
# PCs: a virtual X server with a small window manager and the X tools that drive and measure
# real windows (xdotool; xwininfo and xprop from x11-utils), a browser and its WebDriver for
# the web pages, poppler-utils for PDFs, PostgreSQL, which the tests start themselves, sox (to
# measure rendered audio), shellcheck and git.
TEST_PACKAGES=(
  xvfb openbox xdotool x11-utils chromium chromium-driver poppler-utils postgresql
  sox shellcheck git
)
wanted=("${DEBIAN_PACKAGES[@]}")
[[ "${ANTREAN_BOOTSTRAP:-}" == tests ]] && wanted+=("${TEST_PACKAGES[@]}")

# One dpkg-query for the whole list keeps a run where everything is present quick.
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  declare -A installed=()
  while read -r pkg status; do
    [[ "$status" == ii ]] && installed[$pkg]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${wanted[@]}" 2>/dev/null || true)
  for pkg in "${wanted[@]}"; do
    [[ -n "${installed[$pkg]:-}" ]] || missing+=("$pkg")
  done
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "antrean: missing Debian packages: ${missing[*]}; run this as root or install them" >&2
    exit 1
  fi
  echo "antrean: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${ANTREAN_PYTHON:-python3}"
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "antrean: creating virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when the project's dependency list changed since the last install.
stamp="$VENV/.antrean-installed"
want=$(sha256sum "$ANTREAN_ROOT/pyproject.toml" | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "antrean: installing the project and its dependencies"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e "${ANTREAN_ROOT}[dev]"
  echo "$want" >"$stamp"
fi
export PATH="$VENV/bin:$PATH"

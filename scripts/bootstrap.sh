#!/usr/bin/env bash
# Installs what Antrean needs on a Debian (12+) PC, idempotently: Debian packages, a virtual
# environment in .venv and the project itself. Sourced by scripts/hall.sh and scripts/test.sh.
set -euo pipefail

ANTREAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ANTREAN_VENV:-$ANTREAN_ROOT/.venv}"

# Runtime libraries: Qt (EGL/GL, xkbcommon, fontconfig, D-Bus), Qt Multimedia (PulseAudio),
# USB printers (libusb), the Indonesian voice (espeak-ng), a font with good coverage, and
# python3-venv for the virtual environment. The tests also use sox (to measure rendered
# audio), systemd's systemd-analyze (to verify the deploy units), shellcheck and git.
DEBIAN_PACKAGES=(
  python3 python3-venv python3-pip
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libpulse0 libusb-1.0-0 espeak-ng fonts-dejavu-core
  sox systemd shellcheck git
)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
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
  "$VENV/bin/python" -m pip install -q -e "$ANTREAN_ROOT[dev]"
  echo "$want" >"$stamp"
fi
export PATH="$VENV/bin:$PATH"

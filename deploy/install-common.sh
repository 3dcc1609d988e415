# Shared steps of deploy/install-hub.sh and deploy/install-station.sh; sourced, not run.
# Every step is idempotent: running an installer again upgrades in place and keeps the data,
# the station settings and the hall config.
#
# ROOT (default /) lets the tests install into a scratch folder: with ROOT other than /, users
# are not created, nothing is chowned, no package is installed and systemctl is not called.
#
# shellcheck shell=bash
# The scripts that source this file use the variables below:
# shellcheck disable=SC2034

ANTREAN_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${ROOT:-/}"
ROOT="${ROOT%/}"
PREFIX="$ROOT/opt/antrean"
ETC="$ROOT/etc/antrean"
UNIT_DIR="$ROOT/etc/systemd/system"
USER_UNIT_DIR="$ROOT/etc/systemd/user"
SKIP_BOOTSTRAP="${SKIP_BOOTSTRAP:-0}"

say() { printf 'antrean-install: %s\n' "$*"; }
die() { printf 'antrean-install: error: %s\n' "$*" >&2; exit 1; }

real_root() { [[ -z "$ROOT" ]]; }

# systemctl only where systemd runs (not in a container or a chroot).
have_systemd() { real_root && [[ -d /run/systemd/system ]]; }

need_root() {
  if real_root && [[ $(id -u) -ne 0 ]]; then
    die "run as root: sudo bash $0 $*"
  fi
}

ensure_user() {
  real_root || return 0
  if ! id antrean >/dev/null 2>&1; then
    say "creating system user antrean"
    useradd --system --home-dir /var/lib/antrean --create-home --shell /usr/sbin/nologin \
      --comment "Antrean queue system" antrean
  fi
  local group
  for group in "$@"; do
    if getent group "$group" >/dev/null && ! id -nG antrean | tr ' ' '\n' | grep -qx "$group"; then
      say "adding antrean to group $group"
      usermod -a -G "$group" antrean
    fi
  done
}

apt_install() {
  real_root || return 0
  local missing=() pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Copy this checkout to /opt/antrean (without its .git, .venv and caches), keep the existing
# virtual environment, then let scripts/bootstrap.sh bring Debian packages and the venv up to date.
install_code() {
  [[ "$ANTREAN_SRC" != "$PREFIX" ]] || die "run the installer from a checkout, not from $PREFIX"
  local staging="$PREFIX.new"
  say "copying $ANTREAN_SRC to $PREFIX"
  rm -rf "$staging"
  mkdir -p "$staging"
  if git -C "$ANTREAN_SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # A git checkout: exactly the project's files, none of the venv, caches or local data.
    git -C "$ANTREAN_SRC" ls-files -z --cached |
      tar -C "$ANTREAN_SRC" --null --files-from=- --ignore-failed-read -cf - |
      tar -C "$staging" -xf -
  else
    # An unpacked release archive.
    tar -C "$ANTREAN_SRC" --exclude=./.venv --exclude='__pycache__' --exclude='*.egg-info' \
      --exclude=./antrean-data --exclude='.*_cache' --exclude=./.hypothesis -cf - . |
      tar -C "$staging" -xf -
  fi
  if [[ -d "$PREFIX/.venv" ]]; then
    mv "$PREFIX/.venv" "$staging/.venv"
  fi
  rm -rf "$PREFIX"
  mv "$staging" "$PREFIX"
  if [[ "$SKIP_BOOTSTRAP" != 1 ]]; then
    say "installing Antrean's dependencies (scripts/bootstrap.sh)"
    # bootstrap.sh ends by changing PATH only for itself; run it in a child shell.
    ANTREAN_VENV="$PREFIX/.venv" bash -c "source '$PREFIX/scripts/bootstrap.sh'"
  fi
  # Code is root's and read-only for the service user: a compromised app cannot change itself.
  real_root && chown -R root:root "$PREFIX"
  chmod -R go-w "$PREFIX"
}

ensure_etc() {
  mkdir -p "$ETC"
  if real_root; then
    chown root:antrean "$ETC"
    chmod 0750 "$ETC"
  fi
}

# install_secret_file SRC DEST: a root-owned file the antrean group may read (tokens).
install_private_file() {
  local src="$1" dest="$2"
  install -m 0640 "$src" "$dest"
  real_root && chown root:antrean "$dest"
  return 0
}

install_unit() {
  local src="$1" dir="$2"
  mkdir -p "$dir"
  install -m 0644 "$src" "$dir/$(basename "$src")"
}

systemctl_maybe() {
  if have_systemd; then
    systemctl "$@"
  else
    say "(no systemd running here; skipped: systemctl $*)"
  fi
}

#!/usr/bin/env bash
# Runs a whole hall on this PC: hub, kiosk, two counters and a board (headless where there is
# no screen). Extra arguments go to `antrean demo`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ANTREAN_ROOT"
exec antrean demo "$@"

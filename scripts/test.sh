#!/usr/bin/env bash
# Installs what is needed, then runs the lint checks, the import contracts and the whole
# test suite.
set -euo pipefail
ANTREAN_BOOTSTRAP=tests source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ANTREAN_ROOT"
ruff check .
mypy antrean shared kiosk counter_client display region web console
lint-imports --no-logo  # the layer contracts in pyproject.toml
exec python -m pytest "$@"

#!/usr/bin/env bash
# The test command of the README: installs what is missing (with the Python references the
# tests compare with: python3-torch, python3-pymatgen, python3-spglib), then runs every test.
#   bash tasks/test.sh [extra deno test args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO="$(bash "$ROOT/tasks/setup.sh" --test)"
cd "$ROOT"
exec "$DENO" test -A --doc --parallel "$@"

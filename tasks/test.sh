#!/usr/bin/env bash
# The test command of the README: installs what is missing, then runs every test.
#   bash tasks/test.sh [extra deno test args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO="$(bash "$ROOT/tasks/setup.sh")"
cd "$ROOT"
exec "$DENO" test -A --parallel "$@"

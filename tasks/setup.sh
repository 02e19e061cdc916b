#!/usr/bin/env bash
# Install what crystallm-harness needs, skipping what is already there.
#
#   bash tasks/setup.sh            # Deno, Debian packages (when root), the FFI library
#   bash tasks/setup.sh --test     # the same plus the Python references the tests compare with
#
# - Deno comes from the npm package `deno` (pinned), installed into .tools/deno,
#   so a user without root who has Node/npm can install it.
# - Debian packages: libtorch-dev (CPU libtorch), libopenblas0-pthread (fast BLAS
#   for Debian's libtorch), cmake/g++ (FFI build). With --test (tasks/test.sh) also
#   python3-torch, python3-pymatgen, python3-spglib and python3-numpy: independent
#   references for the tests only (the product runs no Python), debootstrap (the
#   offline-bundle test's Debian 11 root), and slurm-wlm and munge (the sweep test's
#   single-node Slurm).
#   Without root, missing packages are listed with the command to install them.
#   CRYSTALLM_SETUP_LIST=1 prints the packages this invocation needs, one a line, and stops.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO_VERSION="2.9.6"
DENO_BIN="$ROOT/.tools/deno/node_modules/.bin/deno"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# --- what to install ---------------------------------------------------------
PKGS=(libtorch-dev libopenblas0-pthread cmake g++ binutils ninja-build)
if [ "${1:-}" = "--test" ]; then
  PKGS+=(python3-torch python3-pymatgen python3-spglib python3-numpy debootstrap slurm-wlm munge)
elif [ -n "${1:-}" ]; then
  say "unknown option $1 (the only one is --test)"
  exit 2
fi
if [ -n "${CRYSTALLM_SETUP_LIST:-}" ]; then
  printf '%s\n' "${PKGS[@]}"
  exit 0
fi

# --- Deno --------------------------------------------------------------------
if ! "$DENO_BIN" --version >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    say "npm not found: install Node.js (with npm), then rerun. Deno is installed from the npm package 'deno'."
    exit 2
  fi
  say "installing deno@$DENO_VERSION from npm into .tools/deno"
  mkdir -p "$ROOT/.tools/deno"
  npm install --silent --no-audit --no-fund --prefix "$ROOT/.tools/deno" "deno@$DENO_VERSION" >&2
fi

# --- Debian packages -----------------------------------------------------------
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    say "missing Debian packages: ${missing[*]}"
    say "install them with: sudo apt-get install ${missing[*]}"
    say "or point LIBTORCH / Torch_DIR at the libtorch inside a PyTorch install (see README)"
  fi
fi

# --- FFI library -------------------------------------------------------------
if [ -f "$ROOT/tasks/build_ffi.ts" ]; then
  (cd "$ROOT" && "$DENO_BIN" run -A tasks/build_ffi.ts >&2) || {
    say "FFI build failed: model tests will report why"
  }
fi
echo "$DENO_BIN"

#!/bin/sh
# crystallm: the launcher of an offline crystallm-harness bundle (made by `crystallm bundle create`).
#
#   ./crystallm verify                  check every file, glibc, the native library, the GPU driver
#   ./crystallm setup                   pick or build libcrystallm.so (against python3's torch, LIBTORCH or Torch_DIR)
#   ./crystallm audit nacl10 --profile ci
#   ./crystallm run|sample|postprocess|evaluate|... (as `deno task crystallm ...` in a checkout)
#
# It needs no root and never touches the network (Deno runs with --cached-only on the bundle's
# own DENO_DIR). It writes only inside the bundle (var/) and where --out points; when the bundle
# folder is read-only, var/ lives in $TMPDIR/crystallm-<uid>-<manifest checksum> instead.
set -eu

# the POSIX tools this script and verify use (mkdir, ln, cksum, sha256sum, ldd, getconf)
PATH="${PATH:+$PATH:}/usr/bin:/bin"
export PATH
B=$(cd "$(dirname "$0")" && pwd -P)
D="$B/data"
APP="$D/app"
DENO="$D/bin/deno"

die() { printf 'crystallm: %s\n' "$*" >&2; exit 2; }
[ -f "$B/manifest-sha256.txt" ] && [ -d "$APP" ] || die "$B is not a complete bundle (no manifest-sha256.txt or data/app)"

# --- writable state ----------------------------------------------------------------
if [ -n "${CRYSTALLM_STATE:-}" ]; then
  S=$CRYSTALLM_STATE
elif mkdir -p "$B/var" 2>/dev/null && (: >"$B/var/.probe") 2>/dev/null; then
  rm -f "$B/var/.probe"
  S="$B/var"
else
  sum=$(cksum <"$B/manifest-sha256.txt" | cut -d' ' -f1)
  S="${TMPDIR:-/tmp}/crystallm-$(id -u)-$sum"
fi
mkdir -p "$S/deno_dir" "$S/tmp" "$S/out" "$S/cache" || die "cannot create the state folder $S: set CRYSTALLM_STATE to a writable folder"
# the npm packages stay in the bundle (read-only use); Deno's own caches go to the state folder
ln -sfn "$D/deno_dir/npm" "$S/deno_dir/npm"

export DENO_DIR="$S/deno_dir"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 DENO_NO_PACKAGE_JSON=1
export TMPDIR="$S/tmp"
# onnxruntime keeps a device id under $XDG_CACHE_HOME (else ~/.cache): inside the state folder too
export XDG_CACHE_HOME="$S/cache"
export CRYSTALLM_BUNDLE="$B" CRYSTALLM_STATE="$S"
export CRYSTALLM_OUT="${CRYSTALLM_OUT:-$S/out}"
export CRYSTALLM_BUILD_DIR="${CRYSTALLM_BUILD_DIR:-$S/ffi-build}"
[ -d "$D/shared" ] && export CRYSTALLM_SHARED="${CRYSTALLM_SHARED:-$D/shared}"
if [ -z "${CRYSTALLM_LIB:-}" ]; then
  if [ -f "$S/lib.path" ]; then CRYSTALLM_LIB=$(cat "$S/lib.path"); else CRYSTALLM_LIB="$D/lib/libcrystallm.so"; fi
  export CRYSTALLM_LIB
fi
# a bundle made with --with-libtorch carries libtorch and its libraries beside libcrystallm.so
if [ "$CRYSTALLM_LIB" = "$D/lib/libcrystallm.so" ] && ls "$D/lib/" 2>/dev/null | grep -q '^libc10'; then
  export LD_LIBRARY_PATH="$D/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

[ -x "$DENO" ] || die "$DENO is missing or not executable: run ./crystallm verify, or copy the bundle again"

deno_run() {
  exec "$DENO" run -A --cached-only --frozen --config "$APP/deno.json" "$@"
}

cmd="${1:-}"
case "$cmd" in
  verify)
    shift
    # check the Deno binary and the checker itself before running them
    if command -v sha256sum >/dev/null 2>&1; then
      if ! (cd "$B" && grep -E '  data/(bin/deno|app/bundle/(target|manifest|elf)\.ts)$' manifest-sha256.txt | sha256sum -c --quiet -) >&2; then
        echo "crystallm: the Deno binary or the checker differs from the manifest: copy the bundle again" >&2
        exit 1
      fi
    fi
    deno_run "$APP/bundle/target.ts" verify "$B" "$@"
    ;;
  setup)
    shift
    deno_run "$APP/bundle/target.ts" setup "$B" "$@"
    ;;
  *)
    # a relative --out is relative to where the user stands, not to the bundle's source
    n=$#
    i=0
    prev=
    for a in "$@"; do
      i=$((i + 1))
      case "$prev:$a" in
        --out:/*) ;;
        --out:*) a="$PWD/$a" ;;
        *:--out=/*) ;;
        *:--out=*) a="--out=$PWD/${a#--out=}" ;;
      esac
      set -- "$@" "$a"
      prev=$a
    done
    shift "$n"
    deno_run "$APP/tasks/crystallm.ts" "$@"
    ;;
esac

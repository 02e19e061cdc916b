#!/usr/bin/env bash
# The GPU check of the CUDA path: one prepared script for an offline GPU server.
#
#   bash bench/gpu_check.sh [--out DIR] [--oracle DIR] [gpu_check.ts options]
#   bash bench/gpu_check.sh --out /tmp/dry --small --device cpu      # CPU dry run
#
# Run it from an unpacked bundle (./crystallm runs it as `./crystallm gpu-check`) or a
# checkout. Steps, each logged under --out:
#   1. build libcrystallm against the libtorch of the PyTorch on PATH (python3 -c "import
#      torch"), or LIBTORCH / Torch_DIR: build.log
#   2. bench/gpu_check.ts: parity (CUDA float32 vs CPU and the upstream oracle, bfloat16
#      loss, a CUDA-trained checkpoint read on CPU, per-sample streams), `audit nacl10` on
#      the device against the CPU snapshots, training and sampling speed of the 25M model
#      against tools/nanogpt_ref.py (eager, torch.compile, upstream's sampling loop), peak GPU
#      memory: gpu_check.json, gpu_check.log (stacks-<phase>.txt where a phase stalled)
# DENO selects the Deno binary (default: deno on PATH); CRYSTALLM_OFFLINE=1 adds
# --cached-only so nothing is fetched.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${OUT_DIR:-$ROOT/out/gpu_check}"
ORACLE="$ROOT/../shared/oracle/model"
PASS=()
while (($#)); do
  case "$1" in
    --out) OUT_DIR="$2"; shift 2 ;;
    --oracle) ORACLE="$2"; shift 2 ;;
    *) PASS+=("$1"); shift ;;
  esac
done
mkdir -p "$OUT_DIR"
DENO="${DENO:-deno}"
CACHED=()
[ "${CRYSTALLM_OFFLINE:-0}" = 1 ] && CACHED=(--cached-only)
export DENO_NO_UPDATE_CHECK=1
# the check measures CUDA autocast too, which the product refuses until it is validated
export CRYSTALLM_CUDA_AUTOCAST=1
# CMake's CUDA lookup of a PyTorch build wants nvcc; servers often keep it off PATH
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi
say() { printf '[gpu_check.sh] %s\n' "$*" >&2; }

{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  "$DENO" --version | head -1
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cxx11_abi', int(torch._C._GLIBCXX_USE_CXX11_ABI))" 2>&1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  cmake --version | head -1; c++ --version | head -1; nvcc --version 2>/dev/null | tail -1
} > "$OUT_DIR/env.txt" 2>&1
cat "$OUT_DIR/env.txt" >&2

if [ -z "${CRYSTALLM_LIB:-}" ]; then
  say "building libcrystallm (log: $OUT_DIR/build.log)"
  t0=$(date +%s)
  if ! (cd "$ROOT" && CRYSTALLM_BUILD_JOBS="$(nproc)" "$DENO" run -A "${CACHED[@]}" tasks/build_ffi.ts --force --verbose) \
    >"$OUT_DIR/build.log" 2>&1; then
    tail -40 "$OUT_DIR/build.log" >&2
    say "build failed"
    exit 1
  fi
  say "built in $(($(date +%s) - t0)) s"
fi

ldd "${CRYSTALLM_LIB:-$ROOT/ffi/build/libcrystallm.so}" 2>&1 | grep -E "gomp|omp|mkl|blas|torch_cuda|c10" >>"$OUT_DIR/env.txt"

# phase NAME LIMIT_S [ENV=VALUE...]: one bench/gpu_check.ts phase in its own process, killed at
# LIMIT_S; past 3/4 of it, the threads' stacks go to stacks-NAME.txt (cuda-gdb or gdb attach)
phase() {
  local name="$1" limit="$2"; shift 2
  say "phase $name (at most ${limit}s)"
  (cd "$ROOT" && exec env "$@" timeout -s KILL "$limit" "$DENO" run -A "${CACHED[@]}" bench/gpu_check.ts \
    --oracle "$ORACLE" --out "$OUT_DIR/gpu_check.json" --append --only "${name%%-*}" --key "$name" ${CACHED:+--cached-only} "${PASS[@]}") \
    >>"$OUT_DIR/gpu_check.log" 2>&1 &
  local pid=$! waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; waited=$((waited + 1))
    if [ "$waited" = $((limit * 3 / 4)) ]; then
      local dbg; dbg="$(command -v cuda-gdb || command -v gdb || true)"
      for p in $(pgrep -f "bench/gpu_check.ts" | grep -v "^$$\$"); do
        [ -n "$dbg" ] && timeout 30 "$dbg" -p "$p" -batch -ex "thread apply all bt 12" >>"$OUT_DIR/stacks-$name.txt" 2>&1
      done
    fi
  done
  wait "$pid"; local rc=$?
  say "phase $name: exit $rc"
  return "$rc"
}

: >"$OUT_DIR/gpu_check.log"
rc=0
# parity uses CPU libtorch beside CUDA; if it stalls, once more on one thread without the
# fused CPU kernels (tells an OpenMP/BLAS threading problem from a CUDA one)
phase parity 40 || rc=1
# bfloat16 autocast stalled on the first H200 (2026-12-04); when it has no figure, two
# cheap diagnoses: without the fused attention kernels, and with synchronous launches
if ! grep -q '"bf16_loss_ok"' "$OUT_DIR/gpu_check.json" 2>/dev/null; then
  phase parity-mathattn 30 CRYSTALLM_ATTENTION=math
  phase parity-launchblocking 30 CUDA_LAUNCH_BLOCKING=1
fi
phase train 200 || rc=1
phase sample 120 || rc=1
phase audit "${AUDIT_LIMIT_S:-240}" || rc=1
tail -30 "$OUT_DIR/gpu_check.log" >&2
say "exit $rc; figures in $OUT_DIR/gpu_check.json"
exit "$rc"

#!/usr/bin/env bash
# The main job: the NaCl-10 experiment on CPU, end to end, with its snapshot check.
#
#   bash tasks/main.sh [extra crystallm audit args, e.g. --force]
#
# Installs what is missing (tasks/setup.sh), then runs
#   crystallm audit nacl10
# which builds the NaCl-10 token files from fixtures/nacl10, finetunes the committed
# base model (fixtures/base/ckpt.pt) through the libtorch FFI library, samples 10 CIFs
# from data_Na2Cl2, postprocesses and evaluates them, writes out/nacl10/summary.{csv,md},
# report.html and metrics.json, and compares the metrics with snapshots/nacl10.json
# (exit status 1 on drift beyond tolerance). Unchanged stages are skipped on reruns.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO="$(bash "$ROOT/tasks/setup.sh")"
cd "$ROOT"
exec "$DENO" run -A tasks/crystallm.ts audit nacl10 "$@"

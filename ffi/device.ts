/**
 * Where a model runs: checks a `--device` request against the loaded libtorch and the
 * machine before any work starts, and describes the device for run manifests.
 *
 * ```ts ignore
 * import { loadLibrary } from "./mod.ts";
 * import { checkDevice, describeDevice } from "./device.ts";
 * const runtime = loadLibrary();
 * checkDevice("cuda", runtime); // throws a one-line, actionable message when it cannot run
 * console.log(describeDevice("cuda", runtime));
 * ```
 *
 * @module
 */

import type { RuntimeInfo } from "./mod.ts";

/** A device request that cannot be met; the message says why and what to do. */
export class DeviceError extends Error {
  /** @param message One line: why, and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "DeviceError";
  }
}

/** One GPU as `nvidia-smi` reports it. */
export interface GpuInfo {
  index: number;
  name: string;
  driver: string;
  memory_total_mib: number;
}

/** What a run manifest records about its device. */
export interface DeviceInfo {
  /** `cpu`, `cuda` or `cuda:N`, as requested. */
  device: string;
  libtorch: string;
  /** CUDA toolkit libtorch was built with (`""` for a CPU build). */
  cuda_runtime: string;
  /** Highest CUDA version the installed driver supports, from `nvidia-smi` (null without one). */
  cuda_driver_supports: string | null;
  /** The GPU the run used (null on CPU). */
  gpu: GpuInfo | null;
}

/** Parse a device string: `cpu`, `cuda` (= `cuda:0`) or `cuda:N`. */
export function parseDevice(device: string): { kind: "cpu" | "cuda"; index: number } {
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(device);
  if (!m || (m[1] === "cpu" && m[2] !== undefined)) {
    throw new DeviceError(`Invalid device '${device}': use cpu, cuda or cuda:N`);
  }
  return { kind: m[1] as "cpu" | "cuda", index: m[2] === undefined ? 0 : Number(m[2]) };
}

function nvidiaSmi(args: string[]): string | null {
  try {
    const out = new Deno.Command("nvidia-smi", { args, stdout: "piped", stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** The GPUs `nvidia-smi` lists, or [] when it is absent or fails. */
export function listGpus(): GpuInfo[] {
  const out = nvidiaSmi([
    "--query-gpu=index,name,driver_version,memory.total",
    "--format=csv,noheader,nounits",
  ]);
  if (!out) return [];
  return out.trim().split("\n").filter((l) => l.trim()).map((l) => {
    const [index, name, driver, mem] = l.split(",").map((s) => s.trim());
    return { index: Number(index), name, driver, memory_total_mib: Number(mem) };
  });
}

/** "CUDA Version: 13.0" of nvidia-smi's banner: the newest CUDA runtime the driver can run. */
export function driverCudaVersion(): string | null {
  const out = nvidiaSmi([]);
  return out ? /CUDA Version:\s*([\d.]+)/.exec(out)?.[1] ?? null : null;
}

function versionLess(a: string, b: string): boolean {
  const pa = a.split(".").map(Number), pb = b.split(".").map(Number);
  for (let i = 0; i < 2; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0);
  }
  return false;
}

/**
 * Check that `device` can run with the loaded library, before any work starts.
 *
 * @param device `cpu`, `cuda` or `cuda:N`.
 * @param runtime What {@linkcode loadLibrary} returned.
 * @throws {Error} With one line saying why not and what to do: a CPU-only libtorch, no
 *   NVIDIA driver, a driver older than libtorch's CUDA runtime, or no GPU N.
 */
export function checkDevice(device: string, runtime: RuntimeInfo): void {
  const { kind, index } = parseDevice(device);
  if (kind === "cpu") return;
  if (runtime.cuda_available && index < runtime.cuda_device_count) return;
  if (runtime.cuda_available) {
    throw new DeviceError(
      `Cannot use --device ${device}: libtorch sees ${runtime.cuda_device_count} GPU(s) (cuda:0 .. cuda:${
        runtime.cuda_device_count - 1
      }); check CUDA_VISIBLE_DEVICES`,
    );
  }
  if (!runtime.cuda_version) {
    throw new DeviceError(
      `Cannot use --device ${device}: ${runtime.library} is built against a CPU-only libtorch ${runtime.torch_version}; ` +
        "rebuild it against a CUDA PyTorch (`deno task build:ffi --force` with that Python first on PATH, " +
        "or CRYSTALLM_PYTHON / LIBTORCH), or use --device cpu",
    );
  }
  const supports = driverCudaVersion();
  if (supports === null) {
    throw new DeviceError(
      `Cannot use --device ${device}: no working NVIDIA driver (nvidia-smi is missing or fails) for libtorch's CUDA ${runtime.cuda_version}; use --device cpu`,
    );
  }
  if (versionLess(supports, runtime.cuda_version)) {
    throw new DeviceError(
      `Cannot use --device ${device}: the NVIDIA driver supports CUDA up to ${supports} but libtorch needs CUDA ${runtime.cuda_version}; ` +
        `update the driver, or build against a PyTorch made for CUDA <= ${supports}`,
    );
  }
  throw new DeviceError(
    `Cannot use --device ${device}: libtorch (CUDA ${runtime.cuda_version}) sees no GPU although the driver supports CUDA ${supports}; ` +
      "check CUDA_VISIBLE_DEVICES and that /dev/nvidia* are accessible",
  );
}

/**
 * Refuse autocast (bfloat16/float16) on CUDA unless `CRYSTALLM_CUDA_AUTOCAST=1`: on the one
 * GPU it has met (an H200, PyTorch 2.11 + CUDA 13, driver 580, 2026-12-04) the first
 * bfloat16 forward pass never returned, while float32 (with TF32 matmuls) trained, sampled
 * and passed the nacl10 audit. A refusal that says so beats a run that hangs; the variable
 * lets bench/gpu_check.sh and anyone diagnosing it through.
 *
 * @param device `cpu`, `cuda` or `cuda:N`.
 * @param dtype The autocast dtype asked for.
 * @throws {DeviceError} For bfloat16/float16 on CUDA without the variable.
 */
export function checkDtype(device: string, dtype: string | undefined): void {
  if (parseDevice(device).kind !== "cuda" || !dtype || dtype === "float32") return;
  if (Deno.env.get("CRYSTALLM_CUDA_AUTOCAST") === "1") return;
  throw new DeviceError(
    `Cannot use dtype ${dtype} on ${device} yet: CUDA autocast stalled on its first forward pass on an H200 ` +
      "(PyTorch 2.11, CUDA 13) and is not validated; use dtype float32 (TF32 matmuls), or set " +
      "CRYSTALLM_CUDA_AUTOCAST=1 to try it",
  );
}

/**
 * What a manifest records about the device of a run.
 *
 * @param device `cpu`, `cuda` or `cuda:N`.
 * @param runtime What {@linkcode loadLibrary} returned.
 */
export function describeDevice(device: string, runtime: RuntimeInfo): DeviceInfo {
  const { kind, index } = parseDevice(device);
  const gpus = kind === "cuda" ? listGpus() : [];
  // with CUDA_VISIBLE_DEVICES, libtorch's index N is the Nth visible GPU
  const visible = Deno.env.get("CUDA_VISIBLE_DEVICES");
  const physical = visible ? Number(visible.split(",")[index]) : index;
  return {
    device,
    libtorch: runtime.torch_version,
    cuda_runtime: runtime.cuda_version ?? "",
    cuda_driver_supports: kind === "cuda" ? driverCudaVersion() : null,
    gpu: gpus.find((g) => g.index === physical) ?? null,
  };
}

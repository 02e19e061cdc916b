/**
 * The one way tests and benchmarks start Debian's Python (pymatgen, spglib, numpy, torch)
 * as an independent reference.
 *
 * numpy 1.24 dispatches float64 math to AVX-512 code where the CPU has it, and OpenBLAS and
 * libtorch pick their kernels by CPU too, so a reference's last printed digit can change from
 * one x86-64 CPU to another. Every child started here runs with that choice pinned to what an
 * AVX2-only CPU does ({@linkcode referenceEnv}), so a test gets the same reference answer on
 * any x86-64 machine. `CRYSTALLM_REFERENCE_UNPINNED=1` turns the pin off, to show that the
 * comparisons do not depend on it.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

/** The Python that runs references; override with `CRYSTALLM_PYTHON`. */
export const PYTHON: string = Deno.env.get("CRYSTALLM_PYTHON") ?? "/usr/bin/python3";

/**
 * numpy's AVX-512 features, as numpy names them. numpy 1.24 dispatches to AVX512F, AVX512CD and
 * the AVX512_SKX/CLX/CNL/ICL groups and ignores the other names with a RuntimeWarning; a CPU
 * without AVX-512 ignores all of them the same way.
 */
export const NPY_DISABLE_CPU_FEATURES =
  "AVX512F AVX512CD AVX512VPOPCNTDQ AVX512VL AVX512BW AVX512DQ AVX512VNNI AVX512IFMA AVX512VBMI " +
  "AVX512VBMI2 AVX512BITALG AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL";

/** CPU flags of the first processor in /proc/cpuinfo (empty when unreadable). */
function cpuFlags(): Set<string> {
  try {
    const line = Deno.readTextFileSync("/proc/cpuinfo").split("\n").find((l) => l.startsWith("flags"));
    return new Set(line ? line.split(":")[1].trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

/** True when the CPU has AVX-512 (numpy, OpenBLAS and libtorch then take other code paths). */
export function cpuHasAvx512(): boolean {
  return cpuFlags().has("avx512f");
}

/** True when `CRYSTALLM_REFERENCE_UNPINNED` asks for references as the CPU would run them. */
export function referenceUnpinned(): boolean {
  const v = Deno.env.get("CRYSTALLM_REFERENCE_UNPINNED");
  return v !== undefined && v !== "" && v !== "0";
}

/**
 * The environment that pins a reference's CPU dispatch to the AVX2 code paths:
 * numpy's AVX-512 loops off, and where the CPU has AVX2 and FMA, OpenBLAS's Haswell kernels
 * and libtorch's AVX2 kernels (forcing them on an older CPU would stop the child, so they are
 * left alone there).
 *
 * @returns Variables to add to the child's environment (none when unpinned).
 */
export function referenceEnv(): Record<string, string> {
  if (referenceUnpinned()) return {};
  const env: Record<string, string> = { NPY_DISABLE_CPU_FEATURES };
  const flags = cpuFlags();
  if (flags.has("avx2") && flags.has("fma")) {
    env.OPENBLAS_CORETYPE = "Haswell";
    env.ATEN_CPU_CAPABILITY = "avx2";
  }
  return env;
}

/** Options of {@linkcode pythonCommand}. */
export interface PythonCommandOptions extends Omit<Deno.CommandOptions, "args"> {
  /**
   * Pin the CPU dispatch ({@linkcode referenceEnv}); default true. Only timing benchmarks,
   * which compare no numbers, turn it off so that the reference runs as fast as it can.
   */
  pinned?: boolean;
}

/**
 * A `Deno.Command` for {@linkcode PYTHON}, with the reference environment.
 *
 * @param args Python's arguments (a script path, or `-c` and source).
 * @param options `Deno.CommandOptions`; `env` is merged over the pinned environment.
 * @returns The command, not yet started.
 */
export function pythonCommand(args: string[], options: PythonCommandOptions = {}): Deno.Command {
  const { pinned = true, env = {}, ...rest } = options;
  return new Deno.Command(PYTHON, { ...rest, args, env: { ...(pinned ? referenceEnv() : {}), ...env } });
}

/**
 * Whether {@linkcode PYTHON} runs and imports the given modules.
 *
 * @param modules Modules that must import, e.g. `["pymatgen.core"]`.
 * @returns `true` when usable.
 */
export function hasPython(modules: string[] = []): boolean {
  try {
    return pythonCommand(["-c", modules.map((m) => `import ${m}`).join(";") || "pass"], {
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Run Python on `args`, feeding `input` on stdin while reading stdout (so a full pipe cannot
 * block the child).
 *
 * @param args Python's arguments.
 * @param input Bytes or text for stdin.
 * @param env Extra environment.
 * @returns stdout.
 * @throws {Error} With the end of Python's stderr when it exits non-zero.
 */
export async function runPython(
  args: string[],
  input?: Uint8Array | string,
  env: Record<string, string> = {},
): Promise<Uint8Array> {
  const child = pythonCommand(args, { stdin: "piped", stdout: "piped", stderr: "piped", env }).spawn();
  const output = child.output();
  const writer = child.stdin.getWriter();
  if (input !== undefined) {
    await writer.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
  }
  await writer.close();
  const out = await output;
  if (!out.success) {
    throw new Error(`${PYTHON} ${args[0]} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  return out.stdout;
}

/**
 * Run a reference script of `tools/` that answers JSON lines with JSON lines, in one process.
 *
 * @param script Path under the repository (e.g. `tools/spglib_reference.py`).
 * @param reqs One request object per line.
 * @param args More arguments for the script.
 * @returns One parsed answer per non-empty output line, in order.
 * @throws {Error} With the script's stderr when it fails.
 */
export async function jsonLinesReference<T>(
  script: string,
  reqs: readonly object[],
  args: string[] = [],
): Promise<T[]> {
  const out = await runPython(
    [join(REPO_ROOT, script), ...args],
    reqs.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  return new TextDecoder().decode(out).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

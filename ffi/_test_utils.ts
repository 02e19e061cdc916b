/**
 * Test helper: build (or reuse) libcrystallm before FFI tests. Tests are skipped only when
 * no libtorch exists on the machine; CI installs libtorch-dev, so there they always run.
 *
 * @module
 */
import { buildFfi, findLibtorch } from "./build.ts";
import { loadLibrary, type RuntimeInfo } from "./mod.ts";

async function prepare(): Promise<RuntimeInfo | undefined> {
  if (!Deno.env.get("CRYSTALLM_LIB") && !findLibtorch()) {
    console.error(
      "SKIPPING FFI tests: no libtorch found (install libtorch-dev, or set LIBTORCH / Torch_DIR / CRYSTALLM_PYTHON)",
    );
    return undefined;
  }
  const path = Deno.env.get("CRYSTALLM_LIB") ?? await buildFfi();
  // keep tests light on a shared 2-core machine
  return loadLibrary({ path, numThreads: Number(Deno.env.get("CRYSTALLM_NUM_THREADS") ?? 2) });
}

/** Runtime info of the loaded library, or `undefined` when libtorch is absent. */
export const RUNTIME: RuntimeInfo | undefined = await prepare();
/** Whether FFI tests must be skipped (no libtorch at all). */
export const NO_LIBTORCH: boolean = RUNTIME === undefined;

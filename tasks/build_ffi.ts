/**
 * `deno task build:ffi [--force] [--verbose]`: build (or reuse) ffi/build/libcrystallm.so
 * with ffi/build.ts and print its path.
 *
 * Try: `deno task build:ffi`, `LIBTORCH=/opt/libtorch deno task build:ffi --force`.
 *
 * @module
 */
import { buildFfi } from "../ffi/build.ts";

if (import.meta.main) {
  const force = Deno.args.includes("--force");
  const verbose = Deno.args.includes("--verbose");
  try {
    const lib = await buildFfi({ force, verbose });
    console.log(lib);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
